// sakura-ctl client / session ...: the running broker's connections and sessions (GET /clients,
// GET|DELETE /client, GET /sessions; online only), and lock ...: a lock's status from `monitor`
// and its last events (GET /locks/<lockno>, GET /history).
#include "ctl.hpp"

namespace ctl {

int run_client(Ctl& ctl, const Args& args) {
  if (args.empty()) throw UsageError("usage: sakura-ctl client list|show|kick ...");
  Args rest(args.begin() + 1, args.end());
  if (args[0] == "list") {
    po::options_description o;
    o.add_options()("user", po::value<std::string>(), "only this username's clients")(
        "limit", po::value<int>()->default_value(1000), "at most this many (1..100000)");
    auto vm = parse(rest, o, {});
    auto target = "/clients?limit=" + std::to_string(vm["limit"].as<int>());
    if (vm.count("user")) target += "&username=" + q(vm["user"].as<std::string>());
    return ctl.run_on(ctl.broker(), "GET", target);
  }
  if (args[0] == "show") {
    auto vm = parse(rest, {}, {"client_id"});
    return ctl.run_on(ctl.broker(), "GET", "/client?id=" + q(vm["client_id"].as<std::string>()));
  }
  if (args[0] == "kick") {
    auto vm = parse(rest, {}, {"client_id"});
    return ctl.run_on(ctl.broker(), "DELETE", "/client?id=" + q(vm["client_id"].as<std::string>()));
  }
  throw UsageError("unknown client command '" + args[0] + "' (list, show, kick)");
}

int run_session(Ctl& ctl, const Args& args) {
  if (args.empty() || args[0] != "list") throw UsageError("usage: sakura-ctl session list [--limit N]");
  po::options_description o;
  o.add_options()("limit", po::value<int>()->default_value(1000), "at most this many (1..100000)");
  auto vm = parse(Args(args.begin() + 1, args.end()), o, {});
  return ctl.run_on(ctl.broker(), "GET", "/sessions?limit=" + std::to_string(vm["limit"].as<int>()));
}

int run_lock(Ctl& ctl, const Args& args) {
  if (args.empty()) throw UsageError("usage: sakura-ctl lock status|events <lockno> ...");
  Args rest(args.begin() + 1, args.end());
  if (args[0] == "status") {
    po::options_description o;
    o.add_options()("events", po::value<int>()->default_value(5), "with this many last events (1..100)");
    auto vm = parse(rest, o, {"lockno"});
    return ctl.run("GET",
                   "/locks/" + q(vm["lockno"].as<std::string>()) + "?limit=" + std::to_string(vm["events"].as<int>()));
  }
  if (args[0] == "events") {
    po::options_description o;
    o.add_options()("limit", po::value<int>()->default_value(20), "at most this many (1..100)")(
        "before", po::value<long long>()->default_value(0), "older than this event id (the `next` of a page)");
    auto vm = parse(rest, o, {"lockno"});
    return ctl.run("GET", "/history?lockno=" + q(vm["lockno"].as<std::string>()) +
                              "&limit=" + std::to_string(vm["limit"].as<int>()) +
                              "&before=" + std::to_string(vm["before"].as<long long>()));
  }
  throw UsageError("unknown lock command '" + args[0] + "' (status, events)");
}

}  // namespace ctl
