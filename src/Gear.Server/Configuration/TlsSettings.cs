using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Gear.Server.Configuration;

/// <summary>
/// The server certificate as configured, before loading: PEM certificate and key files, or a PKCS#12 (PFX)
/// file with an optional password. Paths are absolute by the time they get here.
/// </summary>
public sealed class TlsSettings
{
    /// <summary>PEM certificate (chain) file.</summary>
    public Sourced<string>? Certificate { get; set; }

    /// <summary>PEM private key file for <see cref="Certificate"/>.</summary>
    public Sourced<string>? Key { get; set; }

    /// <summary>PKCS#12 file holding certificate and key.</summary>
    public Sourced<string>? Pfx { get; set; }

    /// <summary>Password of <see cref="Pfx"/>, if it has one.</summary>
    public Sourced<string>? PfxPassword { get; set; }

    /// <summary>Whether any TLS setting was given.</summary>
    public bool IsConfigured => Certificate is not null || Key is not null || Pfx is not null;

    /// <summary>Checks that exactly one form is given, that the files exist, and loads the certificate.</summary>
    /// <exception cref="ConfigException">Naming the TLS field at fault.</exception>
    public X509Certificate2 Load()
    {
        if (Pfx is { } pfx)
        {
            if (Certificate is { } both)
                throw new ConfigException(both.Field, $"give either a PEM certificate and key or a PFX file ({pfx.Field}), not both");
            RequireFile(pfx);
            try
            {
                return Checked(X509CertificateLoader.LoadPkcs12FromFile(pfx.Value, PfxPassword?.Value), pfx);
            }
            catch (CryptographicException e)
            {
                throw new ConfigException(pfx.Field, $"cannot load PFX file '{pfx.Value}' (wrong password?): {e.Message}");
            }
        }

        if (Certificate is not { } certificate)
            throw new ConfigException(Key!.Value.Field, "a private key was given without a certificate; give the PEM certificate file too");
        if (Key is not { } key)
            throw new ConfigException(certificate.Field, "a PEM certificate needs its private key file too");
        RequireFile(certificate);
        RequireFile(key);
        try
        {
            return Checked(X509Certificate2.CreateFromPemFile(certificate.Value, key.Value), certificate);
        }
        catch (CryptographicException e)
        {
            throw new ConfigException(certificate.Field,
                $"cannot load certificate '{certificate.Value}' with key '{key.Value}': {e.Message}");
        }
    }

    private static void RequireFile(Sourced<string> path)
    {
        if (!File.Exists(path.Value))
            throw new ConfigException(path.Field, $"file '{path.Value}' does not exist");
    }

    private static X509Certificate2 Checked(X509Certificate2 certificate, Sourced<string> source)
    {
        if (!certificate.HasPrivateKey)
        {
            certificate.Dispose();
            throw new ConfigException(source.Field, $"'{source.Value}' holds no private key; a server certificate needs one");
        }
        return certificate;
    }
}
