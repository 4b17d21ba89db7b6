#include "broker/proxy_protocol.hpp"

#include <array>
#include <cstring>
#include <stdexcept>

namespace broker {

namespace {

namespace ip = boost::asio::ip;

constexpr std::string_view v1_prefix = "PROXY ";
constexpr std::size_t v1_max = 107;  // the specification's bound, CRLF included
constexpr std::string_view v2_signature{"\r\n\r\n\0\r\nQUIT\n", 12};
constexpr std::size_t v2_fixed = 16;

bool prefix_of(std::string_view data, std::string_view signature) {
  auto n = std::min(data.size(), signature.size());
  return data.substr(0, n) == signature.substr(0, n);
}

ProxyHeader malformed(const char* why) {
  ProxyHeader h;
  h.status = ProxyHeader::Status::malformed;
  h.error = why;
  return h;
}

ProxyHeader complete(std::size_t length, std::optional<ip::tcp::endpoint> source = std::nullopt) {
  ProxyHeader h;
  h.status = ProxyHeader::Status::complete;
  h.length = length;
  h.source = source;
  return h;
}

std::optional<std::uint16_t> parse_port(std::string_view s) {
  if (s.empty() || s.size() > 5 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  unsigned v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(v);
}

ProxyHeader parse_v1(std::string_view data) {
  auto end = data.substr(0, v1_max).find("\r\n");
  if (end == std::string_view::npos) return data.size() >= v1_max ? malformed("PROXY v1 line too long") : ProxyHeader{};
  std::string_view line = data.substr(v1_prefix.size(), end - v1_prefix.size());
  std::array<std::string_view, 5> f;
  std::size_t count = 0;
  while (!line.empty()) {
    auto sp = line.find(' ');
    if (count == f.size()) return malformed("PROXY v1: too many fields");
    f[count++] = line.substr(0, sp);
    if (f[count - 1].empty()) return malformed("PROXY v1: empty field");
    line = sp == std::string_view::npos ? std::string_view{} : line.substr(sp + 1);
  }
  if (count >= 1 && f[0] == "UNKNOWN") return complete(end + 2);  // rest is to be ignored
  if (count != 5 || (f[0] != "TCP4" && f[0] != "TCP6")) return malformed("PROXY v1: bad fields");
  boost::system::error_code ec;
  auto src = ip::make_address(std::string(f[1]), ec);
  if (ec || src.is_v4() != (f[0] == "TCP4")) return malformed("PROXY v1: bad source address");
  auto dst = ip::make_address(std::string(f[2]), ec);
  if (ec || dst.is_v4() != (f[0] == "TCP4")) return malformed("PROXY v1: bad destination address");
  auto sport = parse_port(f[3]);
  if (!sport || !parse_port(f[4])) return malformed("PROXY v1: bad port");
  return complete(end + 2, ip::tcp::endpoint(src, *sport));
}

std::uint16_t be16(const unsigned char* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }

ProxyHeader parse_v2(std::string_view data) {
  if (data.size() < v2_fixed) return {};
  auto* p = reinterpret_cast<const unsigned char*>(data.data());
  if ((p[12] >> 4) != 2) return malformed("PROXY v2: bad version");
  unsigned command = p[12] & 0x0f;
  if (command > 1) return malformed("PROXY v2: bad command");
  std::size_t total = v2_fixed + be16(p + 14);
  if (total > max_proxy_header) return malformed("PROXY v2: header too long");
  if (data.size() < total) return {};
  if (command == 0) return complete(total);  // LOCAL: the proxy's own health check
  unsigned family = p[13] >> 4, transport = p[13] & 0x0f;
  const unsigned char* a = p + v2_fixed;
  std::size_t len = total - v2_fixed;
  if (family == 1 && transport == 1) {
    if (len < 12) return malformed("PROXY v2: short IPv4 block");
    ip::address_v4::bytes_type b;
    std::memcpy(b.data(), a, 4);
    return complete(total, ip::tcp::endpoint(ip::address_v4(b), be16(a + 8)));
  }
  if (family == 2 && transport == 1) {
    if (len < 36) return malformed("PROXY v2: short IPv6 block");
    ip::address_v6::bytes_type b;
    std::memcpy(b.data(), a, 16);
    return complete(total, ip::tcp::endpoint(ip::address_v6(b), be16(a + 32)));
  }
  return complete(total);  // UNSPEC, UNIX or datagram: nothing usable, keep the peer address
}

}  // namespace

bool starts_like_proxy_header(std::string_view data) {
  return !data.empty() && (prefix_of(data, v1_prefix) || prefix_of(data, v2_signature));
}

ProxyHeader parse_proxy_header(std::string_view data) {
  if (data.empty()) return {};
  if (prefix_of(data, v2_signature)) return data.size() < v2_signature.size() ? ProxyHeader{} : parse_v2(data);
  if (prefix_of(data, v1_prefix)) return data.size() < v1_prefix.size() ? ProxyHeader{} : parse_v1(data);
  return malformed("no PROXY signature");
}

TrustedProxies::TrustedProxies(std::string_view list) {
  while (!list.empty()) {
    auto sep = list.find_first_of(", ");
    auto item = list.substr(0, sep);
    list = sep == std::string_view::npos ? std::string_view{} : list.substr(sep + 1);
    if (item.empty()) continue;
    auto slash = item.find('/');
    boost::system::error_code ec;
    auto base = ip::make_address(std::string(item.substr(0, slash)), ec);
    if (ec) throw std::invalid_argument("bad address in trusted proxies: '" + std::string(item) + "'");
    unsigned bits = base.is_v4() ? 32 : 128;
    unsigned prefix = bits;
    if (slash != std::string_view::npos) {
      auto p = parse_port(item.substr(slash + 1));  // a small decimal, same rules
      if (!p || *p > bits)
        throw std::invalid_argument("bad prefix length in trusted proxies: '" + std::string(item) + "'");
      prefix = *p;
    }
    nets_.push_back({base, prefix});
  }
}

namespace {
template <std::size_t N>
bool same_prefix(const std::array<unsigned char, N>& a, const std::array<unsigned char, N>& b, unsigned prefix) {
  for (std::size_t i = 0; i < N && prefix > 0; ++i, prefix = prefix >= 8 ? prefix - 8 : 0) {
    unsigned mask = prefix >= 8 ? 0xff : (0xff << (8 - prefix)) & 0xff;
    if ((a[i] & mask) != (b[i] & mask)) return false;
  }
  return true;
}
}  // namespace

bool TrustedProxies::contains(const ip::address& peer) const {
  auto a = peer;
  if (a.is_v6() && a.to_v6().is_v4_mapped()) a = ip::make_address_v4(ip::v4_mapped, a.to_v6());
  for (auto& n : nets_) {
    if (n.base.is_v4() != a.is_v4()) continue;
    if (a.is_v4() ? same_prefix(a.to_v4().to_bytes(), n.base.to_v4().to_bytes(), n.prefix)
                  : same_prefix(a.to_v6().to_bytes(), n.base.to_v6().to_bytes(), n.prefix))
      return true;
  }
  return false;
}

}  // namespace broker
