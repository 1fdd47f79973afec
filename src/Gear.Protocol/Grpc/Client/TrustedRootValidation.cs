using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Gear.Protocol.Grpc;

/// <summary>
/// Validation of a server certificate against one certificate authority instead of the system's roots: what a
/// private deployment does with its own CA (as grpcio's <c>root_certificates</c>). The chain must end at that
/// root, and the certificate must name the host the client dialled.
/// </summary>
public static class TrustedRootValidation
{
    /// <summary>A callback that accepts exactly the certificates <paramref name="root"/> issued for the dialled host.</summary>
    public static RemoteCertificateValidationCallback For(X509Certificate2 root)
    {
        ArgumentNullException.ThrowIfNull(root);
        return (_, certificate, _, errors) =>
        {
            // A name mismatch or a missing certificate is final; chain errors are re-judged against the root.
            if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
                return false;
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(root);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck; // a private CA publishes no revocation lists
            return chain.Build(certificate as X509Certificate2 ?? new X509Certificate2(certificate));
        };
    }
}
