"""Production settings: HTTPS only, strict cookies. Requires SECRET_KEY and ALLOWED_HOSTS."""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")  # no default here: the site's own host names, nothing else
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Probes that the load balancer and the monitoring send straight to the app server over plain HTTP;
# /metrics answers only METRICS_ALLOWED_IPS (docs/adr/0021-observability.md).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage",
        "OPTIONS": STATIC_FILE_MODES,  # noqa: F405
    },
}
WHITENOISE_USE_FINDERS = False
# collectstatic keeps only the hashed copies (served with a far-future expiry by WhiteNoise or nginx) and
# does not compress source maps, which only a developer's browser tools fetch: a third of the files and a
# quarter of the time (docs/adr/0013-production-layout.md).
WHITENOISE_KEEP_ONLY_HASHED_FILES = True
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [
    *("jpg", "jpeg", "png", "gif", "webp", "zip", "gz", "tgz", "bz2", "tbz", "xz", "br"),
    *("woff", "woff2", "mp4", "webm", "map"),
]
