#include "common/files.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>

namespace te {

Status writeFileAtomically(const std::string& path, const std::string& content) {
  return writeFileAtomically(path, [&content](std::ostream& out) { out << content; });
}

Status writeFileAtomically(const std::string& path, const std::function<void(std::ostream&)>& write) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream f(tmp, std::ios::binary);
    if (!f) return errnoStatus("writing " + tmp, errno);
    write(f);
    f.flush();
    if (!f.good()) {
      int err = errno;
      std::remove(tmp.c_str());
      return errnoStatus("writing " + tmp, err);
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    std::remove(tmp.c_str());
    return errnoStatus("rename " + tmp + " to " + path, err);
  }
  return Status::ok();
}

}  // namespace te
