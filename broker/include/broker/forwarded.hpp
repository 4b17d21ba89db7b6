#pragma once
// Who the client really is when a trusted proxy (nginx) forwards it: the one reading of
// X-Forwarded-For / X-Real-IP, shared by the WebSocket listener and the HTTP API (http/ links
// broker/; broker/ knows nothing of http/). Plain functions over header values, tested without
// sockets (tests/transport/test_forwarded.cpp).
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "broker/proxy_protocol.hpp"

namespace broker {

// `s` without the spaces and tabs around it (a header value's optional whitespace, RFC 9110).
std::string_view trim_ows(std::string_view s);

// One X-Forwarded-For hop: "1.2.3.4", "1.2.3.4:5678", "2001:db8::1", "[2001:db8::1]:5678";
// IPv4-mapped IPv6 comes back as IPv4. nullopt for anything else.
std::optional<boost::asio::ip::address> parse_forwarded_hop(std::string_view hop);

// The address a trusted proxy forwarded for: nullopt when `peer` is not in `trusted` (its
// headers are ignored, they could name anyone) or the headers name nobody usable. Otherwise the
// rightmost X-Forwarded-For entry that is not itself a trusted proxy (entries left of it could be
// forged by the client; garbage stops the walk), else X-Real-IP.
std::optional<boost::asio::ip::address> forwarded_address(const boost::asio::ip::address& peer,
                                                          std::string_view x_forwarded_for, std::string_view x_real_ip,
                                                          const TrustedProxies& trusted);

// The client's address as shown in logs and admin views: the forwarded address as a bare "ip"
// (proxies do not forward the client's port), else the peer itself as "ip:port".
std::string forwarded_client(const boost::asio::ip::tcp::endpoint& peer, std::string_view x_forwarded_for,
                             std::string_view x_real_ip, const TrustedProxies& trusted);

}  // namespace broker
