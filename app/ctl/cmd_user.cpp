// sakura-ctl user ...: MQTT accounts and their ACL rows (auth/'s credential store, through
// GET /users, GET|PUT|DELETE /user, PUT|DELETE /user/acl), and credential ...: the keys issued to
// a WeChat user (GET|DELETE /credentials).
#include <rapidjson/document.h>

#include <algorithm>
#include <chrono>

#include "ctl.hpp"

namespace ctl {

namespace {

int add(Ctl& ctl, const Args& args) {
  po::options_description o;
  o.add_options()("password", po::value<std::string>(), "the password (default: generated, printed once)")(
      "superuser", po::bool_switch(), "skips ACL checks")("ttl", po::value<std::string>(),
                                                          "expires after this long (renewed while connected)");
  auto vm = parse(args, o, {"name"});
  std::string body = "{";
  if (vm.count("password")) body += "\"password\":" + json_string(vm["password"].as<std::string>()) + ",";
  if (vm.count("ttl")) {
    std::chrono::milliseconds ttl;
    try {
      ttl = app::Config::parse_duration(vm["ttl"].as<std::string>());
    } catch (const std::exception& e) {
      throw UsageError(std::string("--ttl: ") + e.what());
    }
    body += "\"ttl\":" + std::to_string(std::chrono::duration_cast<std::chrono::seconds>(ttl).count()) + ",";
  }
  body += std::string("\"superuser\":") + (vm["superuser"].as<bool>() ? "true" : "false") + "}";
  return ctl.run("PUT", "/user?name=" + q(vm["name"].as<std::string>()), body);
}

int del(Ctl& ctl, const Args& args) {
  auto vm = parse(args, {}, {"name"});
  return ctl.run("DELETE", "/user?name=" + q(vm["name"].as<std::string>()));
}

int acl(Ctl& ctl, const Args& args) {
  auto vm = parse(args, {}, {"name", "filter", "access"});
  auto target = "?name=" + q(vm["name"].as<std::string>()) + "&filter=" + q(vm["filter"].as<std::string>());
  const auto& access = vm["access"].as<std::string>();
  if (access == "del") return ctl.run("DELETE", "/user/acl" + target);
  if (access != "1" && access != "2" && access != "3")
    throw UsageError("access must be 1 (subscribe), 2 (publish), 3 (both) or del");
  return ctl.run("PUT", "/user/acl" + target + "&access=" + access);
}

int show(Ctl& ctl, const Args& args) {
  auto vm = parse(args, {}, {"name"});
  return ctl.run("GET", "/user?name=" + q(vm["name"].as<std::string>()));
}

// Every page of the bounded scan, merged and sorted into one answer.
int list(Ctl& ctl, const Args& args) {
  po::options_description o;
  o.add_options()("max", po::value<std::size_t>()->default_value(100000), "list at most this many");
  auto vm = parse(args, o, {});
  const auto max = vm["max"].as<std::size_t>();
  std::vector<std::string> names;
  std::string cursor;
  do {
    auto r = ctl.admin().call("GET", "/users?limit=1000&cursor=" + q(cursor));
    if (r.status != 200) return print_reply(r, ctl.json());
    rapidjson::Document doc;
    doc.Parse(r.body.data(), r.body.size());
    if (doc.HasParseError() || !doc.IsObject() || !doc["items"].IsArray())
      throw Failure("unexpected answer: " + r.body);
    for (auto& item : doc["items"].GetArray())
      names.emplace_back(item["username"].GetString(), item["username"].GetStringLength());
    cursor = doc["next"].IsString() ? doc["next"].GetString() : "";
  } while (!cursor.empty() && names.size() < max);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());  // a scan may repeat a key
  if (names.size() > max) names.resize(max);
  std::string body = "{\"items\":[";
  for (std::size_t i = 0; i < names.size(); ++i)
    body += (i ? ",{\"username\":" : "{\"username\":") + json_string(names[i]) + "}";
  body += "]}";
  return print_reply({200, body}, ctl.json());
}

}  // namespace

int run_user(Ctl& ctl, const Args& args) {
  if (args.empty()) throw UsageError("usage: sakura-ctl user add|del|acl|show|list ...");
  Args rest(args.begin() + 1, args.end());
  if (args[0] == "add") return add(ctl, rest);
  if (args[0] == "del") return del(ctl, rest);
  if (args[0] == "acl") return acl(ctl, rest);
  if (args[0] == "show") return show(ctl, rest);
  if (args[0] == "list") return list(ctl, rest);
  throw UsageError("unknown user command '" + args[0] + "' (add, del, acl, show, list)");
}

int run_credential(Ctl& ctl, const Args& args) {
  if (args.empty()) throw UsageError("usage: sakura-ctl credential list <userno> | revoke <key>");
  Args rest(args.begin() + 1, args.end());
  if (args[0] == "list") {
    auto vm = parse(rest, {}, {"userno"});
    return ctl.run("GET", "/credentials?userno=" + q(vm["userno"].as<std::string>()));
  }
  if (args[0] == "revoke") {
    auto vm = parse(rest, {}, {"key"});
    return ctl.run("DELETE", "/credentials?key=" + q(vm["key"].as<std::string>()));
  }
  throw UsageError("unknown credential command '" + args[0] + "' (list, revoke)");
}

}  // namespace ctl
