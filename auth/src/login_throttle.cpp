#include "auth/login_throttle.hpp"

#include <openssl/evp.h>

#include "auth/acl_file.hpp"
#include "auth/password.hpp"

namespace auth {

namespace {

RateLimiter::Options sized(RateLimiter::Options o, std::size_t max_entries,
                           std::chrono::milliseconds good_for = std::chrono::milliseconds(0)) {
  o.max_entries = max_entries;
  o.good_for = good_for;
  return o;
}

// The address's bytes: IPv4 (also when mapped into IPv6) in full, IPv6 its /64.
std::string address_key(std::string_view address) {
  auto a = peer_address(address);
  if (!a) return "?" + std::string(address.substr(0, 64));
  if (a->is_v6() && a->to_v6().is_v4_mapped())
    a = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a->to_v6());
  if (a->is_v4()) {
    auto b = a->to_v4().to_bytes();
    return std::string("4") + std::string(b.begin(), b.end());
  }
  auto b = a->to_v6().to_bytes();
  return std::string("6") + std::string(b.begin(), b.begin() + 8);
}

}  // namespace

LoginThrottle::LoginThrottle(Options o)
    : salt_(random_hex(16)),
      pairs_(sized(o.per_pair, o.max_entries, o.good_for)),
      users_(sized(o.per_user, o.max_entries)),
      addresses_(sized(o.per_address, o.max_entries)) {}

LoginThrottle::Keys LoginThrottle::keys(std::string_view username, std::string_view address) const {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  EVP_DigestUpdate(ctx, salt_.data(), salt_.size());
  EVP_DigestUpdate(ctx, username.data(), username.size());
  EVP_DigestFinal_ex(ctx, digest, &len);
  EVP_MD_CTX_free(ctx);
  Keys k;
  k.user.assign(reinterpret_cast<const char*>(digest), 16);
  k.address = address_key(address);
  k.pair = k.user + k.address;
  return k;
}

LoginThrottle::Verdict LoginThrottle::check(const Keys& k, Clock::time_point now) {
  if (addresses_.blocked(k.address, now)) return Verdict::address_blocked;
  if (pairs_.blocked(k.pair, now)) return Verdict::pair_blocked;
  if (users_.blocked(k.user, now) && !pairs_.good(k.pair, now)) return Verdict::user_blocked;
  return Verdict::allow;
}

LoginThrottle::Block LoginThrottle::failure(const Keys& k, Clock::time_point now) {
  Block b;
  auto note = [&b](const char* scope, std::chrono::milliseconds d, std::atomic<std::uint64_t>& n) {
    if (d.count() == 0) return;
    ++n;
    if (!b.scope) b = {scope, d};
  };
  note("address", addresses_.failure(k.address, now), stats_.address_blocks);
  note("user", users_.failure(k.user, now), stats_.user_blocks);
  note("pair", pairs_.failure(k.pair, now), stats_.pair_blocks);
  return b;
}

void LoginThrottle::success(const Keys& k, Clock::time_point now) { pairs_.success(k.pair, now); }

}  // namespace auth
