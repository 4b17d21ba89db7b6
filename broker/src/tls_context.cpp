#include "broker/tls_context.hpp"

#include <stdexcept>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace broker {

namespace ssl = boost::asio::ssl;

namespace {

// Mozilla's "intermediate" TLS 1.2 list: forward secrecy and AEAD only. TLS 1.3 suites are
// OpenSSL's defaults, all fine.
constexpr const char* default_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384";

std::string what(const std::string& file, const boost::system::error_code& ec) { return file + ": " + ec.message(); }

}  // namespace

std::vector<std::string> split_file_list(const std::string& text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto comma = text.find(',', pos);
    auto item = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    auto b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

TlsContext::TlsContext(TlsOptions options) : options_(std::move(options)) {
  if (options_.certfiles.empty()) throw std::runtime_error("no certificate file configured");
  if (options_.certfiles.size() != options_.keyfiles.size())
    throw std::runtime_error("certfile and keyfile must list the same number of files");
  if (options_.verify_peer && options_.cafile.empty()) throw std::runtime_error("verify_peer needs a cafile");
  current_ = build();
}

std::shared_ptr<ssl::context> TlsContext::build() const {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                   ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
  // OpenSSL frees a connection's 2 x 16 KiB record buffers while it is idle: most MQTT
  // connections are idle most of the time.
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_dh_auto(native, 1);
  auto ciphers = options_.ciphers.empty() ? std::string(default_ciphers) : options_.ciphers;
  if (SSL_CTX_set_cipher_list(native, ciphers.c_str()) != 1)
    throw std::runtime_error("no usable cipher in '" + ciphers + "'");
  boost::system::error_code ec;
  for (std::size_t i = 0; i < options_.certfiles.size(); ++i) {
    // Each key type has its own slot in the context, so an RSA and an ECDSA pair coexist.
    if (ctx->use_certificate_chain_file(options_.certfiles[i], ec))
      throw std::runtime_error(what(options_.certfiles[i], ec));
    if (ctx->use_private_key_file(options_.keyfiles[i], ssl::context::pem, ec))
      throw std::runtime_error(what(options_.keyfiles[i], ec));
    if (SSL_CTX_check_private_key(native) != 1)
      throw std::runtime_error(options_.keyfiles[i] + ": does not match " + options_.certfiles[i]);
  }
  if (!options_.cafile.empty()) {
    if (ctx->load_verify_file(options_.cafile, ec)) throw std::runtime_error(what(options_.cafile, ec));
    if (options_.verify_peer) {
      ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
      // Tell clients which CAs are accepted, so one holding several certificates picks right.
      if (auto* names = SSL_load_client_CA_file(options_.cafile.c_str())) SSL_CTX_set_client_CA_list(native, names);
    }
  }
  return ctx;
}

std::shared_ptr<ssl::context> TlsContext::current() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return current_;
}

void TlsContext::reload() {
  auto fresh = build();
  std::lock_guard<std::mutex> lock(mutex_);
  current_ = std::move(fresh);
}

std::optional<std::string> peer_common_name(SSL* ssl) {
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (!cert) return std::nullopt;
  std::optional<std::string> cn;
  X509_NAME* subject = X509_get_subject_name(cert);
  int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index >= 0) {
    ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
    unsigned char* utf8 = nullptr;
    int len = ASN1_STRING_to_UTF8(&utf8, data);
    if (len > 0) cn.emplace(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(len));
    OPENSSL_free(utf8);
  }
  X509_free(cert);
  return cn;
}

}  // namespace broker
