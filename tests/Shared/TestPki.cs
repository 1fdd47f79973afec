using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Gear.Tests.Shared;

/// <summary>
/// A throwaway certificate authority and a server certificate it issued for 127.0.0.1 and localhost, as a
/// private deployment has: clients trust the CA, not the server certificate itself. Also self-signed server
/// certificates for tests that pin one.
/// </summary>
internal sealed class TestPki : IDisposable
{
    /// <summary>
    /// A self-signed server certificate for 127.0.0.1 and localhost (with its private key, loadable by Kestrel),
    /// for tests where the client pins the certificate itself rather than trusting a CA.
    /// </summary>
    public static X509Certificate2 SelfSignedServerCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = ServerRequest("CN=gear-test", key);
        using var ephemeral = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>A certificate request for a TLS server at 127.0.0.1 and localhost.</summary>
    private static CertificateRequest ServerRequest(string subject, ECDsa key)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false)); // server auth
        return request;
    }

    public TestPki()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=gear-test-ca", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var now = DateTimeOffset.UtcNow;
        Authority = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(2));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = ServerRequest("CN=gear-test-server", serverKey);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        using var issued = request.Create(Authority, now.AddMinutes(-5), now.AddDays(1), [1, 2, 3, 4, 5, 6, 7, 8]);
        // Kestrel on Linux needs the private key in a loadable form: round-trip through PKCS#12.
        using var withKey = issued.CopyWithPrivateKey(serverKey);
        Server = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        ServerKeyPem = serverKey.ExportPkcs8PrivateKeyPem();
    }

    /// <summary>The CA (with its private key; clients need only its public certificate).</summary>
    public X509Certificate2 Authority { get; }

    /// <summary>The CA's certificate alone, as clients get it.</summary>
    public X509Certificate2 AuthorityPublic => X509CertificateLoader.LoadCertificate(Authority.RawData);

    /// <summary>The server certificate with its private key.</summary>
    public X509Certificate2 Server { get; }

    /// <summary>The server's private key as PKCS#8 PEM.</summary>
    public string ServerKeyPem { get; }

    /// <summary>Writes ca.pem, server.pem and server-key.pem into <paramref name="directory"/>.</summary>
    public (string Authority, string Certificate, string Key) WritePem(string directory)
    {
        var paths = (Path.Combine(directory, "ca.pem"), Path.Combine(directory, "server.pem"), Path.Combine(directory, "server-key.pem"));
        File.WriteAllText(paths.Item1, Authority.ExportCertificatePem());
        File.WriteAllText(paths.Item2, Server.ExportCertificatePem());
        File.WriteAllText(paths.Item3, ServerKeyPem);
        return paths;
    }

    public void Dispose()
    {
        Authority.Dispose();
        Server.Dispose();
    }
}
