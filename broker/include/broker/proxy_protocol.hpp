#pragma once
// The PROXY protocol (HAProxy, nginx `stream` with `proxy_protocol on`): a load balancer in front
// of a TCP listener prepends one header naming the real client. Versions 1 (text) and 2 (binary)
// are parsed here as plain functions over bytes; reading them off a socket is in
// proxy_protocol_listener.hpp. Also here: the list of trusted proxies, shared with the WebSocket
// listener's X-Forwarded-For handling, since a forwarded address is believed only from them.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace broker {

struct ProxyHeader {
  enum class Status { need_more, complete, malformed };
  Status status = Status::need_more;
  // complete: the header's length in bytes; the MQTT stream starts right after it.
  std::size_t length = 0;
  // complete: the client's address, or none for a v2 LOCAL command or an UNKNOWN / unsupported
  // family (the connection's own address then stands).
  std::optional<boost::asio::ip::tcp::endpoint> source;
  const char* error = "";  // malformed: why
};

// The longest header accepted: v1 is at most 107 bytes; v2 TLVs beyond this are refused.
constexpr std::size_t max_proxy_header = 1024;

// Parses the start of a stream. need_more until the whole header is there; malformed when the
// bytes cannot be a PROXY header (including a stream that does not start with a signature).
ProxyHeader parse_proxy_header(std::string_view data);

// Whether `data` (at least one byte) begins like a PROXY header, v1 or v2. An MQTT stream never
// does: its first byte is CONNECT's 0x10, never 'P' or '\r'.
bool starts_like_proxy_header(std::string_view data);

// Addresses and networks ("10.0.0.0/8", "::1", "127.0.0.1"), comma or space separated. IPv4
// entries also match IPv4-mapped IPv6 peers (a dual-stack listener sees those).
class TrustedProxies {
 public:
  TrustedProxies() = default;
  // Throws std::invalid_argument naming the bad entry.
  explicit TrustedProxies(std::string_view list);
  bool contains(const boost::asio::ip::address& a) const;
  bool empty() const { return nets_.empty(); }

 private:
  struct Net {
    boost::asio::ip::address base;
    unsigned prefix;
  };
  std::vector<Net> nets_;
};

}  // namespace broker
