// sakura-ctl firmware ...: images (POST|GET /firmware), offers to locks (POST /ota, the running
// broker publishes them) and a lock's progress (the `ota` part of GET /devices/<lockno>, from its
// /<lockno>/fw reports).
#include <rapidjson/document.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "ctl.hpp"

namespace ctl {

int run_firmware(Ctl& ctl, const Args& args) {
  if (args.empty()) throw UsageError("usage: sakura-ctl firmware upload|list|offer|progress ...");
  Args rest(args.begin() + 1, args.end());
  const auto& c = args[0];
  if (c == "upload") {
    po::options_description o;
    o.add_options()("version", po::value<std::string>(), "the version locks will report");
    auto vm = parse(rest, o, {"file"});
    if (!vm.count("version")) throw UsageError("firmware upload needs --version");
    std::ifstream in(vm["file"].as<std::string>(), std::ios::binary);
    if (!in) throw Failure("cannot read " + vm["file"].as<std::string>());
    std::ostringstream image;
    image << in.rdbuf();
    return ctl.run("POST", "/firmware?version=" + q(vm["version"].as<std::string>()), image.str());
  }
  if (c == "list") {
    parse(rest, {}, {});
    return ctl.run("GET", "/firmware");
  }
  if (c == "offer") {
    po::options_description o;
    o.add_options()("lockno", po::value<std::vector<std::string>>()->multitoken(), "");
    po::options_description all;
    all.add(o).add_options()("version", po::value<std::string>(), "");
    po::positional_options_description pos;
    pos.add("version", 1).add("lockno", -1);
    po::variables_map vm;
    try {
      po::store(po::command_line_parser(rest).options(all).positional(pos).run(), vm);
    } catch (const po::error& e) {
      throw UsageError(e.what());
    }
    if (!vm.count("version") || !vm.count("lockno"))
      throw UsageError("usage: sakura-ctl firmware offer <version> <lockno>...");
    std::string body = "{\"version\":" + json_string(vm["version"].as<std::string>()) + ",\"locknos\":[";
    auto locks = vm["lockno"].as<std::vector<std::string>>();
    for (std::size_t i = 0; i < locks.size(); ++i) body += (i ? "," : "") + json_string(locks[i]);
    return ctl.run_on(ctl.broker(), "POST", "/ota", body + "]}");
  }
  if (c == "progress") {
    auto vm = parse(rest, {}, {"lockno"});
    auto r = ctl.admin().call("GET", "/devices/" + q(vm["lockno"].as<std::string>()));
    rapidjson::Document doc;
    doc.Parse(r.body.data(), r.body.size());
    if (r.status != 200 || doc.HasParseError() || !doc.IsObject()) return print_reply(r, ctl.json());
    // The lock's last report, as it sent it, and the version it runs.
    std::string out = "{\"lockno\":" + json_string(vm["lockno"].as<std::string>()) +
                      ",\"firmware\":" + json_string(doc["firmware"].IsString() ? doc["firmware"].GetString() : "") +
                      ",\"ota\":";
    if (doc["ota"].IsObject()) {
      out += "{";
      bool first = true;
      for (auto& m : doc["ota"].GetObject()) {
        out += (first ? "" : ",") + json_string(m.name.GetString()) + ":" +
               json_string(m.value.IsString() ? m.value.GetString() : "");
        first = false;
      }
      out += "}";
    } else {
      out += "null";
    }
    return print_reply({200, out + "}"}, ctl.json());
  }
  throw UsageError("unknown firmware command '" + c + "' (upload, list, offer, progress)");
}

}  // namespace ctl
