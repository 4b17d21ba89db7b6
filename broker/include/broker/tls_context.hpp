#pragma once
// The TLS settings of one listener (TLS on 8883, WSS on 8084) as an OpenSSL context that can be
// swapped at run time: each new connection takes the current context and keeps it for life, so a
// certificate reload (SIGHUP) affects only connections made after it and drops none.
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ssl/context.hpp>

namespace broker {

struct TlsOptions {
  // Paired by position: an RSA and an ECDSA certificate may be served side by side, and OpenSSL
  // picks per client by what it supports.
  std::vector<std::string> certfiles;
  std::vector<std::string> keyfiles;
  std::string cafile;        // CA bundle for client certificates
  bool verify_peer = false;  // require a client certificate signed by cafile
  // Use the client certificate's subject CN as the MQTT username (EMQX peer_cert_as_username).
  bool cn_as_username = false;
  std::string ciphers;  // TLS 1.2 cipher list; empty: Sakura's default (forward secret, AEAD)
  std::chrono::milliseconds handshake_timeout{10000};
};

// Splits "a.pem, b.pem" into file names.
std::vector<std::string> split_file_list(const std::string& text);

// Thread-safe: current() from any worker, reload() from the signal thread.
class TlsContext {
 public:
  // Throws std::runtime_error naming the file and OpenSSL's reason when the files do not load.
  explicit TlsContext(TlsOptions options);
  const TlsOptions& options() const { return options_; }
  std::shared_ptr<boost::asio::ssl::context> current() const;
  // Re-reads the files. On failure throws as the constructor does and keeps the old context.
  void reload();

 private:
  std::shared_ptr<boost::asio::ssl::context> build() const;
  TlsOptions options_;
  mutable std::mutex mutex_;
  std::shared_ptr<boost::asio::ssl::context> current_;
};

// The subject CN of the verified client certificate, if the handshake produced one.
std::optional<std::string> peer_common_name(SSL* ssl);

}  // namespace broker
