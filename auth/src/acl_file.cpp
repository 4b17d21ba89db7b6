#include "auth/acl_file.hpp"

#include <stdexcept>

#include "auth/command_template.hpp"
#include "auth/topic_acl_match.hpp"
#include "line_file.hpp"
#include "storage/lockno.hpp"

namespace auth {
namespace {

bool in_network(const boost::asio::ip::address& a, const boost::asio::ip::address& net, unsigned prefix) {
  auto bytes_of = [](const boost::asio::ip::address& x) {
    std::vector<unsigned char> b;
    if (x.is_v4()) {
      auto v = x.to_v4().to_bytes();
      b.assign(v.begin(), v.end());
    } else {
      auto v = x.to_v6().to_bytes();
      b.assign(v.begin(), v.end());
    }
    return b;
  };
  auto addr = a;
  if (a.is_v6() && a.to_v6().is_v4_mapped() && net.is_v4())
    addr = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6());
  if (addr.is_v4() != net.is_v4()) return false;
  auto x = bytes_of(addr), y = bytes_of(net);
  for (unsigned bit = 0; bit < prefix; ++bit) {
    unsigned mask = 0x80u >> (bit % 8);
    if ((x[bit / 8] & mask) != (y[bit / 8] & mask)) return false;
  }
  return true;
}

// An allow rule's filter must not be widened by what the client chose; a deny may only grow.
std::optional<std::string> substitute_rule_filter(const GlobalRule& r, const GlobalRule::Filter& f,
                                                  std::string_view username, std::string_view client_id) {
  if (r.allow) return substitute_filter(f.text, username, client_id);
  return substitute(f.text, username, client_id);
}

}  // namespace

std::optional<boost::asio::ip::address> peer_address(std::string_view s) {
  std::string host;
  if (!s.empty() && s[0] == '[') {
    auto close = s.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = std::string(s.substr(1, close - 1));
  } else {
    host = std::string(s.substr(0, s.rfind(':')));
  }
  boost::system::error_code ec;
  auto a = boost::asio::ip::make_address(host, ec);
  if (ec) return std::nullopt;
  return a;
}

bool GlobalRule::applies_to(const WhoAsks& w) const {
  switch (who) {
    case Who::all: return true;
    case Who::anonymous: return w.username == nullptr;
    case Who::lock: return w.username && storage::is_lockno(*w.username);
    case Who::user: return w.username && *w.username == who_value;
    case Who::client_id: return w.client_id == who_value;
    case Who::address: return w.address && in_network(*w.address, network, prefix);
  }
  return false;
}

GlobalRules GlobalRules::parse(std::string_view text, const std::string& source) {
  GlobalRules out;
  detail::for_each_line(text, [&](const std::vector<std::string>& w, int number) {
    auto fail = [&](const std::string& why) { detail::line_error(source, number, why); };
    if (w.size() < 4) fail("expected '<allow|deny> <who> <publish|subscribe|pubsub> <filter>...'");
    GlobalRule r;
    r.line = number;
    if (w[0] == "allow") r.allow = true;
    else if (w[0] != "deny") fail("'" + w[0] + "' is neither allow nor deny");

    const std::string& who = w[1];
    auto value_after = [&](std::string_view prefix) { return who.substr(prefix.size()); };
    if (who == "all") r.who = GlobalRule::Who::all;
    else if (who == "anonymous") r.who = GlobalRule::Who::anonymous;
    else if (who == "lock") r.who = GlobalRule::Who::lock;
    else if (who.rfind("user:", 0) == 0) r.who = GlobalRule::Who::user, r.who_value = value_after("user:");
    else if (who.rfind("clientid:", 0) == 0) r.who = GlobalRule::Who::client_id, r.who_value = value_after("clientid:");
    else if (who.rfind("ipaddr:", 0) == 0) {
      r.who = GlobalRule::Who::address;
      std::string spec = value_after("ipaddr:");
      auto slash = spec.find('/');
      boost::system::error_code ec;
      r.network = boost::asio::ip::make_address(spec.substr(0, slash), ec);
      if (ec) fail("bad address '" + spec + "'");
      unsigned max = r.network.is_v4() ? 32 : 128;
      r.prefix = max;
      if (slash != std::string::npos) {
        try {
          std::size_t used = 0;
          r.prefix = static_cast<unsigned>(std::stoul(spec.substr(slash + 1), &used));
          if (used != spec.size() - slash - 1) throw std::invalid_argument("prefix");
        } catch (const std::exception&) {
          fail("bad prefix in '" + spec + "'");
        }
        if (r.prefix > max) fail("prefix too long in '" + spec + "'");
      }
    } else {
      fail("unknown 'who' '" + who + "' (all, anonymous, lock, user:, clientid:, ipaddr:)");
    }
    if (r.who_value.empty() && (r.who == GlobalRule::Who::user || r.who == GlobalRule::Who::client_id))
      fail("empty name in '" + who + "'");

    if (w[2] == "publish") r.access = Access::publish;
    else if (w[2] == "subscribe") r.access = Access::subscribe;
    else if (w[2] == "pubsub") r.access = Access::both;
    else fail("'" + w[2] + "' is not publish, subscribe or pubsub");

    for (std::size_t i = 3; i < w.size(); ++i) {
      GlobalRule::Filter f;
      if (w[i].rfind("eq:", 0) == 0) f.exact = true, f.text = w[i].substr(3);
      else f.text = w[i];
      if (f.text.empty()) fail("empty topic filter");
      r.filters.push_back(std::move(f));
    }
    out.rules_.push_back(std::move(r));
  });
  return out;
}

GlobalRules GlobalRules::load(const std::string& path) { return parse(detail::read_text_file(path), path); }

std::optional<bool> GlobalRules::decide(const WhoAsks& who, Access access, std::string_view topic) const {
  static const std::string no_user;
  for (const auto& r : rules_) {
    if ((static_cast<unsigned>(r.access) & static_cast<unsigned>(access)) == 0) continue;
    if (!r.applies_to(who)) continue;
    for (const auto& f : r.filters) {
      if (substituted_) {
        if (f.exact ? topic == f.text : acl_match(topic, f.text)) return r.allow;
        continue;
      }
      auto filter = substitute_rule_filter(r, f, who.username ? *who.username : no_user, who.client_id);
      if (filter && (f.exact ? topic == *filter : acl_match(topic, *filter))) return r.allow;
    }
  }
  return std::nullopt;
}

GlobalRules GlobalRules::for_client(const WhoAsks& who) const {
  static const std::string no_user;
  GlobalRules out;
  out.substituted_ = true;
  for (const auto& r : rules_) {
    if (!r.applies_to(who)) continue;
    GlobalRule copy = r;
    copy.who = GlobalRule::Who::all;
    copy.filters.clear();
    for (const auto& f : r.filters)
      if (auto text = substitute_rule_filter(r, f, who.username ? *who.username : no_user, who.client_id))
        copy.filters.push_back({std::move(*text), f.exact});
    if (!copy.filters.empty()) out.rules_.push_back(std::move(copy));
  }
  return out;
}

}  // namespace auth
