#include <pwd.h>
#include <sys/stat.h>

#include <cstdio>

#include "cli.h"
#include "runtime/lifecycle.h"

namespace rune {

namespace {

std::string owner_of(const std::string& dir) {
  struct stat st;
  if (stat(dir.c_str(), &st) != 0) return "";
  if (st.st_uid == 0) return "root";
  if (struct passwd* pw = getpwuid(st.st_uid)) return pw->pw_name;
  return "#" + std::to_string(st.st_uid);
}

}  // namespace

int cmd_list(const Args& a, const Globals& g) {
  std::string format = a.get("format", "table");
  if (format != "table" && format != "json")
    return fail(base::invalid("`--format`: `" + format + "` is not table or json"), g);
  runtime::Runtime rt(g.root);
  struct Row {
    runtime::Runtime::Info in;
    std::string owner;
  };
  std::vector<Row> rows;
  for (const auto& id : rt.store().list()) {
    auto in = rt.info(id);
    if (!in.ok()) continue;  // removed meanwhile
    rows.push_back({std::move(in).value(), owner_of(rt.store().dir(id))});
  }
  if (a.has("quiet")) {
    for (const auto& r : rows) printf("%s\n", r.in.state.id.c_str());
    return 0;
  }
  if (format == "json") {
    if (rows.empty()) {
      printf("null\n");  // what runc prints for no containers
      return 0;
    }
    std::string out = "[";
    for (size_t i = 0; i < rows.size(); ++i) {
      if (i) out += ',';
      out += oci::state_json(rows[i].in.state, rows[i].in.status, false, rows[i].owner);
    }
    out += "]\n";
    fputs(out.c_str(), stdout);
    return 0;
  }
  // runc's tabwriter layout: columns padded to the widest cell + 3, at least 12 wide.
  std::vector<std::vector<std::string>> cells = {
      {"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"}};
  for (const auto& r : rows) {
    const auto& st = r.in.state;
    cells.push_back({st.id, std::to_string(r.in.status == oci::Status::stopped ? 0 : st.pid),
                     oci::status_name(r.in.status), st.bundle, st.created, r.owner});
  }
  std::vector<size_t> width(6, 0);
  for (const auto& row : cells)
    for (size_t c = 0; c < 6; ++c) width[c] = std::max(width[c], row[c].size());
  for (const auto& row : cells) {
    std::string line;
    for (size_t c = 0; c < 6; ++c) {
      line += row[c];
      if (c + 1 < 6) line.append(std::max(width[c] + 3, size_t{12}) - row[c].size(), ' ');
    }
    printf("%s\n", line.c_str());
  }
  return 0;
}

}  // namespace rune
