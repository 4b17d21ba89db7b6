// Argument parsing and printing shared by every command.
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <iostream>

#include "ctl.hpp"
#include "exchange.hpp"  // http/: url_encode

namespace ctl {

po::variables_map parse(const Args& args, const po::options_description& options,
                        const std::vector<std::string>& positional) {
  po::options_description all;
  all.add(options);
  po::positional_options_description pos;
  for (auto& name : positional) {
    all.add_options()(name.c_str(), po::value<std::string>());
    pos.add(name.c_str(), 1);
  }
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(e.what());
  }
  for (auto& name : positional)
    if (!vm.count(name)) throw UsageError("missing <" + name + ">");
  return vm;
}

std::string q(const std::string& value) { return http::detail::url_encode(value); }

std::string json_string(const std::string& value) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  return std::string(buf.GetString(), buf.GetSize());
}

namespace {

std::string text(const rapidjson::Value& v) {
  if (v.IsString()) return std::string(v.GetString(), v.GetStringLength());
  if (v.IsNull()) return "-";
  if (v.IsBool()) return v.GetBool() ? "yes" : "no";
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

// Rows of objects as aligned columns, headed by the first row's keys (then any new ones).
void table(const rapidjson::Value& items, const std::string& indent) {
  std::vector<std::string> columns;
  for (auto& row : items.GetArray()) {
    if (!row.IsObject()) continue;
    for (auto& m : row.GetObject()) {
      std::string k(m.name.GetString(), m.name.GetStringLength());
      if (std::find(columns.begin(), columns.end(), k) == columns.end()) columns.push_back(k);
    }
  }
  std::vector<std::vector<std::string>> cells{columns};
  for (auto& row : items.GetArray()) {
    if (!row.IsObject()) {
      cells.push_back({text(row)});
      continue;
    }
    std::vector<std::string> line;
    for (auto& c : columns) {
      auto it = row.FindMember(c.c_str());
      line.push_back(it == row.MemberEnd() ? "-" : text(it->value));
    }
    cells.push_back(line);
  }
  std::vector<std::size_t> width(columns.size(), 0);
  for (auto& line : cells)
    for (std::size_t i = 0; i < line.size() && i < width.size(); ++i) width[i] = std::max(width[i], line[i].size());
  for (auto& line : cells) {
    std::string out = indent;
    for (std::size_t i = 0; i < line.size(); ++i) {
      out += line[i];
      if (i + 1 < line.size()) out += std::string(width[i] - line[i].size() + 2, ' ');
    }
    std::cout << out << "\n";
  }
}

void lines(const rapidjson::Value& obj, const std::string& indent) {
  for (auto& m : obj.GetObject()) {
    std::string k(m.name.GetString(), m.name.GetStringLength());
    const auto& v = m.value;
    if (v.IsObject()) {
      std::cout << indent << k << ":" << (v.MemberCount() ? "" : " -") << "\n";
      lines(v, indent + "  ");
    } else if (v.IsArray() && !v.Empty() && v[0].IsObject()) {
      std::cout << indent << k << ":\n";
      table(v, indent + "  ");
    } else {
      std::cout << indent << k << ": " << text(v) << "\n";
    }
  }
}

}  // namespace

int print_reply(const Reply& reply, bool json) {
  const bool ok = reply.status >= 200 && reply.status < 300;
  rapidjson::Document doc;
  doc.Parse(reply.body.data(), reply.body.size());
  if (!ok) {
    std::string message = reply.body;
    if (!doc.HasParseError() && doc.IsObject() && doc.HasMember("message") && doc["message"].IsString())
      message = doc["message"].GetString();
    std::cerr << "sakura-ctl: " << message << " (HTTP " << reply.status << ")\n";
    if (json) std::cout << reply.body << "\n";
    bool malformed = reply.status == 400 || reply.status == 405 || reply.status == 413 || reply.status == 415;
    return malformed ? 2 : 1;
  }
  if (json || doc.HasParseError() || !doc.IsObject()) {
    std::cout << reply.body << "\n";
    return 0;
  }
  if (doc.HasMember("items") && doc["items"].IsArray()) {
    if (doc["items"].Empty()) std::cout << "(none)\n";
    else table(doc["items"], "");
    for (auto& m : doc.GetObject()) {
      std::string k(m.name.GetString(), m.name.GetStringLength());
      if (k == "items" || m.value.IsNull()) continue;
      std::cout << k << ": " << text(m.value) << "\n";  // next page, totals
    }
    return 0;
  }
  lines(doc, "");
  return 0;
}

}  // namespace ctl
