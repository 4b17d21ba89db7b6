// Every setting Sakura reads, with its default. docs/configuration.md lists the same; keep both.
#include "config.hpp"

namespace app {

const std::vector<KeySpec>& schema() {
  using T = ValueType;
  auto k = [](std::string key, T type, std::string def, std::string help,
              std::vector<std::string> choices = {}, bool secret = false) {
    return KeySpec{std::move(key), type, std::move(def), std::move(help), std::move(choices), secret};
  };
  static const std::vector<KeySpec> keys = {
      k("node.name", T::string, "sakura@localhost", "node name in logs and $SYS"),
      k("node.data_dir", T::string, "./data",
        "embedded store, persistence, firmware files (created 0700, tightened at start: docs/deployment.md)"),
      k("node.threads", T::integer, "0", "worker threads; 0 = one per core"),
      k("node.placement", T::choice, "pack", "which worker takes a new connection", {"pack", "spread"}),
      k("node.pack_below", T::integer, "50",
        "pack: fill the first worker while it uses less than this % of a core"),

      k("listener.tcp.bind", T::bind, "0.0.0.0:1883", "MQTT over TCP; off disables"),
      k("listener.ws.bind", T::bind, "0.0.0.0:8083", "MQTT over WebSocket; off disables"),
      k("listener.ws.path", T::string, "/mqtt", "WebSocket request path"),
      k("listener.tls.bind", T::bind, "0.0.0.0:8883", "MQTT over TLS (needs certfile)"),
      k("listener.tls.certfile", T::string, "", "PEM certificate chain"),
      k("listener.tls.keyfile", T::string, "", "PEM private key", {}, true),
      k("listener.tls.cafile", T::string, "", "CA bundle for client certificates"),
      k("listener.tls.verify_peer", T::boolean, "false", "require a client certificate"),
      k("listener.wss.bind", T::bind, "0.0.0.0:8084", "MQTT over WSS (needs certfile)"),
      k("listener.wss.certfile", T::string, "", "PEM certificate chain"),
      k("listener.wss.keyfile", T::string, "", "PEM private key", {}, true),
      k("listener.wss.cafile", T::string, "", "CA bundle for client certificates"),
      k("listener.wss.verify_peer", T::boolean, "false", "require a client certificate"),
      // Transport details (issue 3): PROXY protocol, forwarded addresses, limits, TLS extras.
      k("listener.tcp.proxy_protocol", T::boolean, "false", "accept a PROXY v1/v2 header from trusted proxies"),
      k("listener.tcp.trusted_proxies", T::string, "127.0.0.1, ::1", "peers allowed to send a PROXY header"),
      k("listener.tcp.handshake_timeout", T::duration, "10s", "time for the PROXY header"),
      k("listener.ws.trusted_proxies", T::string, "127.0.0.1, ::1", "peers whose X-Forwarded-For is believed"),
      k("listener.ws.max_message_size", T::size, "2MiB", "largest WebSocket frame or message (WS and WSS)"),
      k("listener.ws.handshake_timeout", T::duration, "10s", "time for the HTTP upgrade"),
      k("listener.tls.ciphers", T::string, "", "TLS 1.2 ciphers; empty: forward-secret AEAD suites"),
      k("listener.tls.peer_cert_as_username", T::boolean, "false", "client certificate CN is the username"),
      k("listener.tls.handshake_timeout", T::duration, "10s", "time for the TLS handshake"),
      k("listener.wss.ciphers", T::string, "", "TLS 1.2 ciphers; empty: forward-secret AEAD suites"),
      k("listener.wss.peer_cert_as_username", T::boolean, "false", "client certificate CN is the username"),
      k("listener.wss.handshake_timeout", T::duration, "10s", "time for the TLS handshake and the upgrade"),

      k("http.bind", T::bind, "0.0.0.0:5005", "HTTP API; off disables"),
      k("http.admin_token", T::string, "", "bearer token for admin routes (generated if unset)", {}, true),
      k("http.threads", T::integer, "1", "HTTP API threads (its own, never the MQTT workers)"),
      k("http.max_body", T::size, "64KiB", "largest JSON request body"),
      k("http.max_firmware_size", T::size, "32MiB", "largest firmware image accepted"),
      k("http.read_timeout", T::duration, "10s", "time allowed to send one request (header and body)"),
      k("http.idle_timeout", T::duration, "60s", "keep-alive wait for the next request"),
      k("http.rate_per_minute", T::integer, "30", "/login and binding requests a minute per address"),
      k("http.rate_burst", T::integer, "10", "/login and binding requests at once per address"),
      k("http.trusted_proxies", T::string, "", "comma-separated proxy addresses whose X-Forwarded-For is used"),
      k("http.public_url", T::string, "", "base URL locks download firmware from (default: the admin's Host)"),

      k("auth.backend", T::choice, "embedded", "where credentials live", {"embedded", "redis"}),
      k("auth.allow_anonymous", T::boolean, "false", "accept clients without a username"),
      k("auth.acl_nomatch", T::choice, "deny", "decision when no ACL rule matches", {"allow", "deny"}),
      k("auth.password_hash", T::string, "plain",
        "hash of mqtt_user passwords: plain, md5, sha, sha256, sha512, bcrypt, salt,<h>, <h>,salt, "
        "pbkdf2[,<mac>,<iterations>,<dklen>]"),
      k("auth.issued_password_hash", T::string, "pbkdf2,sha256,4096,32",
        "hash of credentials Sakura issues (/login, devices, sakura-ctl): bcrypt or pbkdf2, recorded per credential"),
      k("auth.credential_ttl", T::duration, "24h", "lifetime of credentials issued by /login"),
      k("auth.credential_check", T::duration, "5m",
        "how often connected users' credentials are renewed (ttl field) or checked for deletion"),
      k("auth.auth_cmd", T::string, "HMGET mqtt_user:%u password salt",
        "credential lookup (EMQX auth_cmd; %u username, %c client id)"),
      k("auth.super_cmd", T::string, "HGET mqtt_user:%u is_superuser", "superuser lookup; empty = none"),
      k("auth.acl_cmd", T::string, "HGETALL mqtt_acl:%u", "ACL rows lookup"),
      k("auth.acl_file", T::string, "", "global ACL rules (docs/auth.md)"),
      k("auth.users_file", T::string, "", "users loaded into the store at start (docs/auth.md)"),
      k("auth.max_failures_per_user", T::integer, "5",
        "failed logins of a username from one address before that address is backed off for it"),
      k("auth.max_failures_per_user_total", T::integer, "100",
        "failed logins of a username from all addresses before addresses that never logged in as it are backed off"),
      k("auth.max_failures_per_address", T::integer, "20", "failed logins from an address before backoff"),
      k("auth.lockout_base", T::duration, "1s", "first backoff after too many failures, doubled each time"),
      k("auth.lockout_max", T::duration, "5m", "longest backoff"),
      k("auth.throttle_max_entries", T::integer, "100000",
        "keys in each login-throttle table (user+address, user, address); the least recently active go first"),
      k("auth.hash_threads", T::integer, "1", "threads for bcrypt/pbkdf2 checks"),

      k("redis.server", T::string, "127.0.0.1:6379", "Redis host:port"),
      k("redis.password", T::string, "", "Redis AUTH password", {}, true),
      k("redis.auth_db", T::integer, "0", "database of mqtt_user/mqtt_acl"),
      k("redis.lock_db", T::integer, "1", "database of monitor and unlock windows"),

      k("sql.backend", T::choice, "sqlite", "table store", {"sqlite", "mariadb"}),
      k("sql.host", T::string, "127.0.0.1", "MariaDB host"),
      k("sql.port", T::integer, "3306", "MariaDB port"),
      k("sql.user", T::string, "lockadmin", "MariaDB user"),
      k("sql.password", T::string, "", "MariaDB password", {}, true),
      k("sql.database", T::string, "lockdata", "MariaDB database"),

      k("lock.pair_window", T::duration, "35s", "time for the second owner to confirm an unlock"),

      k("wechat.appid", T::string, "", "mini-program appid"),
      k("wechat.secret", T::string, "", "mini-program secret", {}, true),
      k("wechat.code2session_url", T::string, "https://api.weixin.qq.com/sns/jscode2session",
       "WeChat auth.code2Session endpoint"),
      k("wechat.timeout", T::duration, "5s", "deadline of one code2Session attempt"),
      k("wechat.retries", T::integer, "2", "further code2Session attempts while WeChat is busy (-1)"),
      k("wechat.cafile", T::string, "", "CA bundle for WeChat's certificate; empty = system store"),

      k("persistence.enabled", T::boolean, "true",
        "keep persistent sessions, their QoS 1/2 messages and retained messages across restarts"),
      k("persistence.sync", T::choice, "everysec", "durability of persisted state",
       {"always", "everysec", "none"}),
      k("persistence.path", T::string, "", "journal file; empty = <node.data_dir>/sessions.journal"),
      k("persistence.max_bytes", T::size, "1GiB",
        "message bytes the store may hold; past it messages for offline sessions are dropped"),
      k("persistence.compact_min_bytes", T::size, "64MiB",
        "journal size before compaction is considered (then at twice the live state)"),

      k("limits.max_packet_size", T::size, "1MiB", "largest MQTT packet accepted"),
      k("limits.max_inflight", T::integer, "32", "unacknowledged QoS 1/2 messages per client"),
      k("limits.max_queued_messages", T::integer, "1000", "queued messages per session"),
      k("limits.max_queued_bytes", T::size, "8MiB", "queued bytes per session"),
      k("limits.queue_qos0_offline", T::boolean, "false", "queue QoS 0 for offline sessions"),
      k("limits.max_write_queue", T::size, "4MiB", "unwritten bytes before a slow consumer is cut"),
      k("limits.max_subscriptions", T::integer, "1000", "subscriptions per client"),
      k("limits.max_topic_levels", T::integer, "128",
        "most levels in a PUBLISH topic, will topic or filter (each one costs a tree node)"),
      k("limits.max_topic_length", T::integer, "1024", "longest PUBLISH topic, will topic or filter, in bytes"),
      k("limits.max_subscription_bytes", T::size, "1MiB",
        "memory one client's subscriptions may hold (tree nodes and filters)"),
      k("limits.max_client_id_length", T::integer, "1024", "longest client id accepted"),
      k("limits.connect_timeout", T::duration, "10s", "time allowed for CONNECT and authentication"),
      k("limits.session_expiry", T::duration, "14d", "life of a disconnected persistent session"),
      k("limits.max_retained", T::integer, "1000000", "retained messages kept"),
      k("limits.max_retained_payload", T::size, "1MiB", "largest retained payload kept"),
      k("limits.sys_interval", T::duration, "10s", "period of $SYS updates; 0 disables"),

      k("log.level", T::choice, "info", "log level", {"trace", "debug", "info", "warn", "error"}),
  };
  return keys;
}

}  // namespace app
