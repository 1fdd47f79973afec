using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Gear.Server.Tests.Configuration;

/// <summary>Self-signed server certificates written as PEM or PFX files, so TLS tests need no fixtures.</summary>
internal static class TestCertificates
{
    public static X509Certificate2 CreateSelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=gear-test", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
    }

    /// <summary>Writes cert.pem and key.pem into <paramref name="directory"/>; returns their paths.</summary>
    public static (string Certificate, string Key) WritePem(TempDirectory directory)
    {
        using var certificate = CreateSelfSigned();
        using var key = certificate.GetECDsaPrivateKey()!;
        return (directory.Write("cert.pem", certificate.ExportCertificatePem()),
                directory.Write("key.pem", key.ExportPkcs8PrivateKeyPem()));
    }

    /// <summary>Writes server.pfx protected by <paramref name="password"/>; returns its path.</summary>
    public static string WritePfx(TempDirectory directory, string password)
    {
        using var certificate = CreateSelfSigned();
        var path = System.IO.Path.Combine(directory.Path, "server.pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pkcs12, password));
        return path;
    }
}
