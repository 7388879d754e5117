#include "bootstrap/kv/kv_url.h"

#include <cctype>

#include "common/shown_value.h"

namespace te::bootstrap::kv {
namespace {

Status bad(const std::string& url, const std::string& why) {
  return invalidArgument("--bootstrap " + shownValue(url) + ": " + why +
                         "; allowed auto, mpi, etcd://host:port[,host:port...] or redis://host:port");
}

bool parsePort(const std::string& text, int* port) {
  if (text.empty() || text.size() > 5) return false;
  int v = 0;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    v = v * 10 + (c - '0');
  }
  if (v < 1 || v > 65535) return false;
  *port = v;
  return true;
}

bool validHost(const std::string& host) {
  if (host.empty() || host.size() > 253) return false;
  for (char c : host) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_' && c != ':') return false;
  }
  return true;
}

}  // namespace

std::string HostPort::text() const {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<KvUrl> parseKvUrl(const std::string& url) {
  KvUrl out;
  size_t sep = url.find("://");
  if (sep == std::string::npos) return bad(url, "no scheme");
  out.scheme = url.substr(0, sep);
  std::string rest = url.substr(sep + 3);
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.empty()) return bad(url, "no host:port");
  size_t pos = 0;
  while (pos <= rest.size()) {
    size_t comma = rest.find(',', pos);
    std::string item = rest.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    HostPort hp;
    std::string port_text;
    if (!item.empty() && item[0] == '[') {
      size_t close = item.find(']');
      if (close == std::string::npos || close + 1 >= item.size() || item[close + 1] != ':') {
        return bad(url, "'" + shownValue(item, 32) + "' is not [ipv6]:port");
      }
      hp.host = item.substr(1, close - 1);
      port_text = item.substr(close + 2);
    } else {
      size_t colon = item.rfind(':');
      if (colon == std::string::npos) return bad(url, "'" + shownValue(item, 32) + "' has no port");
      hp.host = item.substr(0, colon);
      port_text = item.substr(colon + 1);
      if (hp.host.find(':') != std::string::npos) return bad(url, "IPv6 host '" + shownValue(hp.host, 32) + "' needs brackets");
    }
    if (!validHost(hp.host)) return bad(url, "'" + shownValue(item, 32) + "' has no valid host");
    if (!parsePort(port_text, &hp.port)) return bad(url, "'" + shownValue(item, 32) + "' has no valid port (1..65535)");
    out.endpoints.push_back(hp);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

}  // namespace te::bootstrap::kv
