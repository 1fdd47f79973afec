using System.Security.Cryptography.X509Certificates;
using Gear.Tests.Shared;

namespace Gear.Server.Tests.Configuration;

/// <summary>Self-signed server certificates written as PEM or PFX files, so TLS tests need no fixtures.</summary>
internal static class TestCertificates
{
    /// <summary>Writes cert.pem and key.pem into <paramref name="directory"/>; returns their paths.</summary>
    public static (string Certificate, string Key) WritePem(TempDirectory directory)
    {
        using var certificate = TestPki.SelfSignedServerCertificate();
        using var key = certificate.GetECDsaPrivateKey()!;
        return (directory.Write("cert.pem", certificate.ExportCertificatePem()),
                directory.Write("key.pem", key.ExportPkcs8PrivateKeyPem()));
    }

    /// <summary>Writes server.pfx protected by <paramref name="password"/>; returns its path.</summary>
    public static string WritePfx(TempDirectory directory, string password)
    {
        using var certificate = TestPki.SelfSignedServerCertificate();
        var path = System.IO.Path.Combine(directory.Path, "server.pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pkcs12, password));
        return path;
    }
}
