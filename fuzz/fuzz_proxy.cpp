// libFuzzer harness for the PROXY protocol v1/v2 header (broker/src/proxy_protocol.cpp), which a
// trusted load balancer prepends and anyone on the internet can forge on a listener with
// proxy_protocol on. The input is the start of a TCP stream. The header reader in
// proxy_protocol_listener.cpp parses what has arrived so far each time more comes, consumes only
// header bytes, and takes the length of a complete header minus what it already consumed; so
// every prefix of the stream must read as need-more until the verdict, and the verdict must then
// stay the same however much more arrives. The input is also read as a trusted-proxies list.
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include "broker/proxy_protocol.hpp"
#include "require.hpp"

using fuzz::require;
using Status = broker::ProxyHeader::Status;

namespace {

bool same(const broker::ProxyHeader& a, const broker::ProxyHeader& b) {
  return a.status == b.status && a.length == b.length && a.source == b.source;
}

void check_prefixes(std::string_view stream) {
  auto whole = broker::parse_proxy_header(stream);
  if (whole.status == Status::complete) {
    require(whole.length > 0 && whole.length <= stream.size(), "header length outside the input");
    require(whole.length <= broker::max_proxy_header, "header longer than max_proxy_header");
  }
  if (whole.status == Status::need_more)
    require(stream.size() < broker::max_proxy_header, "need_more with a full header buffer");
  // An MQTT stream that does not look like a header is handed over as it is; one that does must
  // get a verdict from the parser.
  bool looks = broker::starts_like_proxy_header(stream);
  if (!stream.empty() && !looks) require(whole.status == Status::malformed, "parsed a non-header");

  broker::ProxyHeader verdict;
  bool decided = false;
  for (std::size_t n = 1; n <= stream.size(); ++n) {
    auto h = broker::parse_proxy_header(stream.substr(0, n));
    if (h.status == Status::complete) require(h.length <= n, "complete header longer than the bytes seen");
    if (decided) {
      require(same(h, verdict), "verdict changed as more bytes arrived");
      continue;
    }
    if (h.status == Status::need_more) continue;
    // The reader has consumed n - 1 bytes as header by now: a shorter header would underflow.
    if (h.status == Status::complete) require(h.length >= n, "header ends inside consumed bytes");
    verdict = h;
    decided = true;
  }
  require(same(decided ? verdict : broker::ProxyHeader{}, whole), "prefixes disagree with the whole");
}

void check_trusted_list(std::string_view text, const broker::ProxyHeader& h) {
  broker::TrustedProxies trusted;
  try {
    trusted = broker::TrustedProxies(text);
  } catch (const std::invalid_argument&) {
    return;
  }
  if (h.source) (void)trusted.contains(h.source->address());
  for (auto a : {"127.0.0.1", "10.1.2.3", "::1", "::ffff:10.0.0.1", "fe80::1"})
    (void)trusted.contains(boost::asio::ip::make_address(a));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  check_prefixes(input);
  check_trusted_list(input, broker::parse_proxy_header(input));
  return 0;
}
