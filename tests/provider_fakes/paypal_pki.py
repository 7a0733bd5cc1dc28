"""The fake PayPal's test PKI: a root CA, an intermediate, and PayPal-style webhook signing certificates issued by
the intermediate (what PayPal serves at a `PAYPAL-CERT-URL`), made with `cryptography`. Tests trust the root
instead of Mozilla's; a forger's self-signed certificate with the right name has no chain.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SIGNING_CN = "messageverificationcerts.sandbox.paypal.com"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass(frozen=True)
class Pki:
    """A root CA, an intermediate, and PayPal-style signing certificates issued by the intermediate."""

    root_key: rsa.RSAPrivateKey
    root: x509.Certificate
    intermediate_key: rsa.RSAPrivateKey
    intermediate: x509.Certificate
    leaf_key: rsa.RSAPrivateKey
    leaf: x509.Certificate

    def chain_pem(self, leaf: x509.Certificate | None = None) -> bytes:
        return pem(leaf or self.leaf) + pem(self.intermediate)

    def issue(
        self,
        cn: str = SIGNING_CN,
        *,
        key: rsa.RSAPrivateKey | None = None,
        not_before: datetime | None = None,
        not_after: datetime | None = None,
    ) -> x509.Certificate:
        """A signing certificate from this PKI's intermediate (for expired / wrong-CN cases)."""
        return _certificate(
            cn, (key or self.leaf_key).public_key(), self.intermediate, self.intermediate_key, not_before, not_after
        )


def pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def make_pki(root_cn: str = "Fake PayPal Test Root CA") -> Pki:
    root_key, intermediate_key, leaf_key = new_key(), new_key(), new_key()
    root = _certificate(root_cn, root_key.public_key(), None, root_key, None, None, ca=True)
    intermediate = _certificate(
        f"{root_cn} - Intermediate", intermediate_key.public_key(), root, root_key, None, None, ca=True
    )
    leaf = _certificate(SIGNING_CN, leaf_key.public_key(), intermediate, intermediate_key, None, None)
    return Pki(root_key, root, intermediate_key, intermediate, leaf_key, leaf)


@functools.cache
def default_pki() -> Pki:
    """RSA key generation is slow: one PKI per test session."""
    return make_pki()


def self_signed(cn: str = SIGNING_CN, key: rsa.RSAPrivateKey | None = None) -> x509.Certificate:
    """What a forger can make: the right name, no chain."""
    key = key or new_key()
    return _certificate(cn, key.public_key(), None, key, None, None)


def _certificate(
    cn: str,
    public_key: rsa.RSAPublicKey,
    issuer: x509.Certificate | None,
    issuer_key: rsa.RSAPrivateKey,
    not_before: datetime | None,
    not_after: datetime | None,
    *,
    ca: bool = False,
) -> x509.Certificate:
    now = datetime.now(UTC)
    subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Fake PayPal"), _cn(cn)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.subject if issuer else subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - timedelta(days=1))
        .not_valid_after(not_after or now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(_key_usage(ca), critical=True)
    )
    if issuer is not None:
        identifier = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(identifier), critical=False
        )
    if not ca:
        usages = [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
        builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(cn)]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _cn(cn: str) -> x509.NameAttribute[str]:
    return x509.NameAttribute(NameOID.COMMON_NAME, cn)


def _key_usage(ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=not ca,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )
