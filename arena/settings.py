"""Arena settings: every knob is read from the environment here, in one place.

With no variables set the arena runs *embedded*: SQLite, generation tasks on an
in-process thread pool, an in-process token channel and demo contenders. Setting
``DATABASE_URL`` and ``REDIS_URL`` switches to *production*: PostgreSQL, Celery on Redis
(workers are separate processes), Redis Streams for tokens, Redis for cache and limits.
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    """A variable, or the content of the file named by ``NAME_FILE`` (for secrets)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    value = env(name, "")
    if not value:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    value = env(name, "")
    return int(value) if value else default


def envfloat(name: str, default: float) -> float:
    value = env(name, "")
    return float(value) if value else default


DATABASE_URL = env("DATABASE_URL")
REDIS_URL = env("REDIS_URL")
EMBEDDED = not (DATABASE_URL or REDIS_URL)

DEBUG = envbool("DEBUG", EMBEDDED)
# The embedded default is for a laptop; production must bring its own key.
SECRET_KEY = env("SECRET_KEY") or ("arena-embedded-insecure-key" if EMBEDDED or DEBUG else "")
if not SECRET_KEY:
    raise RuntimeError("SECRET_KEY must be set when DATABASE_URL or REDIS_URL is set")
ALLOWED_HOSTS = [h for h in env("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in env("CSRF_TRUSTED_ORIGINS").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "servestatic",
    "django.contrib.staticfiles",
    "arena",
    "battles",
    "ratings",
]

MIDDLEWARE = [
    # Async-only, first: static files never leave the event loop.
    "servestatic.middleware.ServeStaticMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: the chain above runs in one thread hop per request (see the class).
    "arena.middleware.SyncChainMiddleware",
]

ROOT_URLCONF = "arena.urls"
ASGI_APPLICATION = "arena.asgi.application"
WSGI_APPLICATION = "arena.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

VAR_DIR = Path(env("ARENA_VAR_DIR", str(BASE_DIR / "var")))
# PgBouncer in transaction mode hands each transaction any server connection: no
# server-side cursors, and no statements prepared per connection (arena.db.prepared).
ARENA_BEHIND_PGBOUNCER = envbool("ARENA_BEHIND_PGBOUNCER", False)
if DATABASE_URL:
    # No persistent connection per thread (under ASGI every request has a thread of its
    # own, so they would pile up past max_connections): a connection lives for one
    # request or task and is lent from a bounded per-process pool (arena.db.postgresql).
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["ENGINE"] = "arena.db.postgresql"
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = ARENA_BEHIND_PGBOUNCER
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env("ARENA_SQLITE_PATH", str(VAR_DIR / "arena.sqlite3")),
            # Web requests and generation threads write concurrently: WAL plus
            # immediate transactions avoid "database is locked" under that load.
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
            },
            # Tests run generation threads: an in-memory shared-cache database fails
            # concurrent writers with "table is locked", a WAL file waits for them.
            "TEST": {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# PostgreSQL connections one process opens at most (0: no pool, e.g. behind PgBouncer in
# session mode), and how long a thread waits for one before its request gets a 503: long
# enough that an overloaded arena answers slowly rather than with errors.
# The budget: (web processes + worker processes + beat) x pool size < max_connections.
ARENA_DB_POOL_SIZE = envint("ARENA_DB_POOL_SIZE", 10)
ARENA_DB_POOL_TIMEOUT = envfloat("ARENA_DB_POOL_TIMEOUT", 30.0)
# Threads per web process that serve the sync views (arena.asgi_handler); more requests
# than this wait for a thread, not for a connection.
ARENA_WEB_THREADS = envint("ARENA_WEB_THREADS", 32)
# How long a worker keeps retrying the final write of an answer while PostgreSQL is
# unreachable (a restart, a failover) before giving the completion up.
ARENA_DB_RETRY_PATIENCE = envfloat("ARENA_DB_RETRY_PATIENCE", 60.0)

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "arena.redis_client.SharedRedisCache",
            "LOCATION": REDIS_URL,
            # An unreachable Redis must fail fast (sessions then fall back to PostgreSQL).
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 5},
            "KEY_PREFIX": "arena",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Production reads sessions from Redis and writes them through to PostgreSQL: one query
# less on every request, and a Redis outage only costs cache misses (arena.sessions).
SESSION_ENGINE = "arena.sessions" if REDIS_URL else "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", not DEBUG)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "templates" / "static",
    # KaTeX (math in answers) from its npm package, served here, never from a CDN: `npm ci`.
    ("katex", BASE_DIR / "node_modules" / "katex" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Static files are served by ServeStatic (async-capable) straight from the finders.
SERVESTATIC_USE_FINDERS = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "httpx": {"level": "WARNING"},
        "httpx2": {"level": "WARNING"},
        "celery": {"level": "INFO"},
    },
}

# --- Celery (production) / in-process pool (embedded) ---------------------------------
# Embedded mode runs the very same task functions on a thread pool in the web process.
ARENA_INPROCESS_TASKS = envbool("ARENA_INPROCESS_TASKS", not REDIS_URL)
ARENA_INPROCESS_WORKERS = envint("ARENA_INPROCESS_WORKERS", 32)
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Longer than the longest generation, so a task is redelivered only when its worker died.
# A dead worker's unacknowledged tasks go back to the queue once older than this: when a
# worker starts, and at kombu's sweep (every 100 s) -- before housekeeping gives them up.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": envint("ARENA_VISIBILITY_TIMEOUT", 3600),
}
CELERY_BEAT_SCHEDULE = {
    "recompute-ratings": {
        "task": "ratings.recompute_ratings_task",
        "schedule": envfloat("ARENA_RATINGS_INTERVAL", 60.0),
        "options": {"expires": envfloat("ARENA_RATINGS_INTERVAL", 60.0)},
    },
    "battles-housekeeping": {
        "task": "battles.housekeeping_task",
        "schedule": envfloat("ARENA_HOUSEKEEPING_INTERVAL", 60.0),
        "options": {"expires": envfloat("ARENA_HOUSEKEEPING_INTERVAL", 60.0)},
    },
    "ratings-flag-voters": {
        "task": "ratings.flag_voters_task",
        "schedule": envfloat("ARENA_FLAG_VOTERS_INTERVAL", 600.0),
        "options": {"expires": envfloat("ARENA_FLAG_VOTERS_INTERVAL", 600.0)},
    },
    "battles-breaker-probes": {
        "task": "battles.probe_breakers_task",
        "schedule": envfloat("ARENA_HOUSEKEEPING_INTERVAL", 60.0),
        "options": {"expires": envfloat("ARENA_HOUSEKEEPING_INTERVAL", 60.0)},
    },
}

# --- Ratings ----------------------------------------------------------------------------
# Defaults of the admin-editable ``ratings.RatingSettings`` row (used until one is saved).
# Pin a contender to put ratings on a public scale, e.g. "mixtral-8x7b-instruct-v0.1=1114"
# (codename or public name); empty centres them on 1000.
ARENA_RATINGS_ANCHOR = env("ARENA_RATINGS_ANCHOR", "")
# Below this many votes in a category a contender is listed as "not enough votes".
ARENA_RATINGS_MIN_VOTES = envint("ARENA_RATINGS_MIN_VOTES", 300)
# Fit the style-controlled leaderboard in the periodic recompute (the page's default view).
ARENA_RATINGS_STYLE_CONTROL = envbool("ARENA_RATINGS_STYLE_CONTROL", True)
# Anomalous voters (ratings.voters, ratings.stats.anomaly), judged by the periodic
# flag_voters task over the last ARENA_VOTER_WINDOW_DAYS of votes, per voter and per IP:
# family-wise error rate per signal (Bonferroni), votes needed before any verdict, a
# "fast" vote (seconds after the last answer token) and the share of them that flags,
# and votes in one day that flag a voter / an IP (0: never).
ARENA_VOTER_ALPHA = envfloat("ARENA_VOTER_ALPHA", 0.01)
ARENA_VOTER_MIN_VOTES = envint("ARENA_VOTER_MIN_VOTES", 20)
ARENA_VOTER_FAST_SECONDS = envfloat("ARENA_VOTER_FAST_SECONDS", 2.0)
ARENA_VOTER_FAST_SHARE = envfloat("ARENA_VOTER_FAST_SHARE", 0.8)
ARENA_VOTER_FLAG_VOTES_PER_DAY = envint("ARENA_VOTER_FLAG_VOTES_PER_DAY", 300)
ARENA_VOTER_FLAG_VOTES_PER_DAY_PER_IP = envint("ARENA_VOTER_FLAG_VOTES_PER_DAY_PER_IP", 2000)
ARENA_VOTER_WINDOW_DAYS = envint("ARENA_VOTER_WINDOW_DAYS", 30)
# Codename of a contender that judges each voted battle's prompts with LMArena's category
# criteria (battles.labeller); empty: the heuristic categories only.
ARENA_LABELLER_JUDGE = env("ARENA_LABELLER_JUDGE", "").strip()

# --- Token channel ----------------------------------------------------------------------
ARENA_CHANNEL = env("ARENA_CHANNEL", "redis" if REDIS_URL else "memory")
ARENA_STREAM_MAXLEN = envint("ARENA_STREAM_MAXLEN", 20000)
ARENA_STREAM_TTL = envint("ARENA_STREAM_TTL", 3600)

# --- Battles -----------------------------------------------------------------------------
ARENA_MAX_PROMPT_CHARS = envint("ARENA_MAX_PROMPT_CHARS", 8000)
ARENA_MAX_TURNS = envint("ARENA_MAX_TURNS", 10)
ARENA_BLOCKED_TERMS = [t.strip().lower() for t in env("ARENA_BLOCKED_TERMS").split(",") if t]
ARENA_BATTLES_PER_HOUR_PER_VOTER = envint("ARENA_BATTLES_PER_HOUR_PER_VOTER", 120)
ARENA_BATTLES_PER_HOUR_PER_IP = envint("ARENA_BATTLES_PER_HOUR_PER_IP", 600)
# Votes one voter (session) and one IP address may cast per UTC day; more get a 429.
ARENA_VOTES_PER_DAY_PER_VOTER = envint("ARENA_VOTES_PER_DAY_PER_VOTER", 500)
ARENA_VOTES_PER_DAY_PER_IP = envint("ARENA_VOTES_PER_DAY_PER_IP", 3000)
# The check before a blind battle is created (battles.human_check): off, pow (proof of
# work, built in), turnstile or hcaptcha. Off embedded, proof of work in production.
ARENA_HUMAN_CHECK = env("ARENA_HUMAN_CHECK", "off" if EMBEDDED else "pow").strip().lower()
if ARENA_HUMAN_CHECK not in {"off", "pow", "turnstile", "hcaptcha"}:
    raise RuntimeError("ARENA_HUMAN_CHECK must be off, pow, turnstile or hcaptcha")
# Proof of work: leading zero bits of SHA-256 (16: about 65,000 hashes, a second or so
# in a browser), and how long a challenge stays valid (seconds).
ARENA_POW_DIFFICULTY = envint("ARENA_POW_DIFFICULTY", 16)
ARENA_POW_TTL = envint("ARENA_POW_TTL", 300)
# Turnstile / hCaptcha: the widget's site key, the server-side secret, and the
# siteverify address (empty: the provider's own).
ARENA_CAPTCHA_SITE_KEY = env("ARENA_CAPTCHA_SITE_KEY", "")
ARENA_CAPTCHA_SECRET = env("ARENA_CAPTCHA_SECRET", "")
ARENA_CAPTCHA_VERIFY_URL = env("ARENA_CAPTCHA_VERIFY_URL", "")
# Votes one prompt may put into the ratings; 0: max(25, 99.9th percentile), recomputed.
ARENA_DUPLICATE_CAP = envint("ARENA_DUPLICATE_CAP", 0)
ARENA_FIRST_TOKEN_TIMEOUT = envfloat("ARENA_FIRST_TOKEN_TIMEOUT", 60.0)
ARENA_IDLE_TIMEOUT = envfloat("ARENA_IDLE_TIMEOUT", 60.0)
ARENA_GENERATION_TIMEOUT = envfloat("ARENA_GENERATION_TIMEOUT", 600.0)
ARENA_GENERATION_RETRIES = envint("ARENA_GENERATION_RETRIES", 3)
ARENA_RETRY_BACKOFF = envfloat("ARENA_RETRY_BACKOFF", 1.0)
ARENA_BREAKER_FAILURES = envint("ARENA_BREAKER_FAILURES", 5)
# --- Contender lifecycle and health (arena.lifecycle, battles.breaker, battles.health) ---
# An open breaker waits this long, then lets one probe request through (half-open).
ARENA_BREAKER_COOLDOWN = envfloat("ARENA_BREAKER_COOLDOWN", 300.0)
# Longest wait of a connection test (admin action, `test_contender`, breaker probe).
ARENA_CONNECTION_TEST_TIMEOUT = envfloat("ARENA_CONNECTION_TEST_TIMEOUT", 60.0)
# A revealed model is marked provisional on the leaderboard until this many more votes.
ARENA_PROVISIONAL_VOTES = envint("ARENA_PROVISIONAL_VOTES", 500)
# Members of this Django group (and staff) see the preliminary leaderboard.
ARENA_ANALYST_GROUP = env("ARENA_ANALYST_GROUP", "analysts")
# The transparency page: battle shares over this many days; a never-revealed variant is
# counted under its organisation only this many days after its retirement.
ARENA_TRANSPARENCY_DAYS = envint("ARENA_TRANSPARENCY_DAYS", 30)
ARENA_TRANSPARENCY_DELAY_DAYS = envint("ARENA_TRANSPARENCY_DELAY_DAYS", 30)
# Seconds the public transparency report is reused before it is computed again.
ARENA_TRANSPARENCY_CACHE = envint("ARENA_TRANSPARENCY_CACHE", 60)
# Housekeeping fails a completion still unfinished this long past its generation timeout
# (its task was lost), and abandons unvoted battles this long after their last turn.
ARENA_STUCK_MARGIN = envfloat("ARENA_STUCK_MARGIN", 120.0)
ARENA_ABANDON_AFTER = envfloat("ARENA_ABANDON_AFTER", 24 * 3600.0)
# --- Pair sampling (battles.sampling) ----------------------------------------------------
# uniform: every allowed pair alike; weighted: a pair in proportion to the product of its
# contenders' sampling weights and new-contender boosts; active: weighted, steered to the
# pairs whose next vote narrows the leaderboard's intervals most (latest snapshot's fit).
ARENA_SAMPLING = env("ARENA_SAMPLING", "weighted").strip().lower()
if ARENA_SAMPLING not in {"uniform", "weighted", "active"}:
    raise RuntimeError("ARENA_SAMPLING must be uniform, weighted or active")
# A contender with fewer overall votes than this (in the latest snapshot) is drawn this
# many times as often; 0 votes or a boost of 1 turns the boost off.
ARENA_NEW_CONTENDER_VOTES = envint("ARENA_NEW_CONTENDER_VOTES", 500)
ARENA_NEW_CONTENDER_BOOST = envfloat("ARENA_NEW_CONTENDER_BOOST", 3.0)
# Two unrevealed codenames never meet (unless no other pair is available).
ARENA_SEPARATE_UNREVEALED = envbool("ARENA_SEPARATE_UNREVEALED", True)
# Active sampling: share of draws that follow the weighted policy regardless (every
# allowed pair stays possible, and inverse-probability weights stay below 1 / floor
# times the weighted ones), and the head of the leaderboard whose intervals it narrows:
# contenders that could rank in the top N (0: every contender).
ARENA_ACTIVE_FLOOR = envfloat("ARENA_ACTIVE_FLOOR", 0.2)
ARENA_ACTIVE_FOCUS = envint("ARENA_ACTIVE_FOCUS", 10)
# How long a process reuses the sampling state before checking for a newer snapshot.
ARENA_SAMPLING_STATE_TTL = envfloat("ARENA_SAMPLING_STATE_TTL", 5.0)
# Ratings weight each vote by the inverse of its pair's sampling probability (votes
# without one, e.g. imported, weigh 1), so that no sampling policy biases them.
ARENA_RATINGS_WEIGHTED = envbool("ARENA_RATINGS_WEIGHTED", True)

# Salt for hashing voter IPs: the raw address is never stored.
ARENA_IP_SALT = env("ARENA_IP_SALT", SECRET_KEY)
# Honour X-Forwarded-For only behind a proxy that sets it (else clients could spoof it).
ARENA_TRUST_X_FORWARDED_FOR = envbool("ARENA_TRUST_X_FORWARDED_FOR", False)
# Seconds between SSE keep-alive comments, so proxies do not close idle streams.
ARENA_SSE_HEARTBEAT = envfloat("ARENA_SSE_HEARTBEAT", 15.0)
# Demo backends answer with a delay between tokens so streaming is visible.
ARENA_DEMO_TOKEN_DELAY = envfloat("ARENA_DEMO_TOKEN_DELAY", 0.03)
