"""LTI 1.3 (with PyLTI1p3): launch from an LMS into a lab, deep linking, grade passback.

- ``tool``: PyLTI1p3's tool config, request, cookie and launch-storage adapters
  (launch state in the shared database, so any server process can answer);
- ``keys``: the tool's RSA key pair, published at ``/lti/jwks``;
- ``launch``: OIDC login, launch (LMS user -> account, LMS course -> class,
  resource link -> lab), deep-linking responses;
- ``grades``: Assignment and Grade Services score passback.

Configured by ``APILAB_LTI_CONFIG`` (platform registrations, PyLTI1p3's JSON
format). This package never imports ``web`` or ``cli``.
"""

__all__: list[str] = []
