// sakura-ctl device ...: registered locks (POST|GET /devices, GET|DELETE /devices/<lockno>,
// POST /devices/<lockno>/password and /bindcodes), and binding ...: who owns which lock
// (GET|POST|DELETE /bindings).
#include "ctl.hpp"

namespace ctl {

namespace {
std::string lock_arg(const po::variables_map& vm) { return q(vm["lockno"].as<std::string>()); }
}  // namespace

int run_device(Ctl& ctl, const Args& args) {
  if (args.empty()) throw UsageError("usage: sakura-ctl device add|list|show|remove|reissue|bindcodes ...");
  Args rest(args.begin() + 1, args.end());
  const auto& c = args[0];
  if (c == "add")
    return ctl.run("POST", "/devices",
                   "{\"lockno\":" + json_string(parse(rest, {}, {"lockno"})["lockno"].as<std::string>()) + "}");
  if (c == "show") return ctl.run("GET", "/devices/" + lock_arg(parse(rest, {}, {"lockno"})));
  if (c == "remove") return ctl.run("DELETE", "/devices/" + lock_arg(parse(rest, {}, {"lockno"})));
  if (c == "reissue") return ctl.run("POST", "/devices/" + lock_arg(parse(rest, {}, {"lockno"})) + "/password");
  if (c == "bindcodes") {
    po::options_description o;
    o.add_options()("morf", po::value<std::string>(), "only this owner's code (m or f)");
    auto vm = parse(rest, o, {"lockno"});
    auto body = vm.count("morf") ? "{\"morf\":" + json_string(vm["morf"].as<std::string>()) + "}" : std::string();
    return ctl.run("POST", "/devices/" + lock_arg(vm) + "/bindcodes", body);
  }
  if (c == "list") {
    po::options_description o;
    o.add_options()("after", po::value<std::string>()->default_value(""), "start after this lockno")(
        "limit", po::value<int>()->default_value(100), "at most this many (1..1000)");
    auto vm = parse(rest, o, {});
    return ctl.run("GET", "/devices?limit=" + std::to_string(vm["limit"].as<int>()) +
                              "&after=" + q(vm["after"].as<std::string>()));
  }
  throw UsageError("unknown device command '" + c + "' (add, list, show, remove, reissue, bindcodes)");
}

int run_binding(Ctl& ctl, const Args& args) {
  if (args.empty()) throw UsageError("usage: sakura-ctl binding list|bind|unbind ...");
  Args rest(args.begin() + 1, args.end());
  if (args[0] == "list") {
    po::options_description o;
    o.add_options()("lock", po::value<std::string>(), "the bindings of this lockno")(
        "user", po::value<std::string>(), "the binding of this user (WeChat OpenID)");
    auto vm = parse(rest, o, {});
    if (vm.count("lock") == vm.count("user")) throw UsageError("binding list needs one of --lock or --user");
    if (vm.count("lock")) return ctl.run("GET", "/bindings?lockno=" + q(vm["lock"].as<std::string>()));
    return ctl.run("GET", "/bindings?userno=" + q(vm["user"].as<std::string>()));
  }
  if (args[0] == "bind") {
    auto vm = parse(rest, {}, {"userno", "lockno", "morf"});
    return ctl.run("POST", "/bindings",
                   "{\"userno\":" + json_string(vm["userno"].as<std::string>()) +
                       ",\"lockno\":" + json_string(vm["lockno"].as<std::string>()) +
                       ",\"morf\":" + json_string(vm["morf"].as<std::string>()) + "}");
  }
  if (args[0] == "unbind") {
    auto vm = parse(rest, {}, {"userno"});
    return ctl.run("DELETE", "/bindings?userno=" + q(vm["userno"].as<std::string>()));
  }
  throw UsageError("unknown binding command '" + args[0] + "' (list, bind, unbind)");
}

}  // namespace ctl
