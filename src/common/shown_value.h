// A value from the command line or a file as an error message shows it: empty as '', control
// characters as \xNN, and a long one cut to its first 64 characters and "...", so that a
// message stays one readable line whatever was typed.
#pragma once

#include <cstdio>
#include <string>

namespace te {

inline std::string shownValue(const std::string& text, size_t max_chars = 64) {
  if (text.empty()) return "''";
  std::string out;
  for (size_t i = 0; i < text.size() && i < max_chars; ++i) {
    const unsigned char ch = static_cast<unsigned char>(text[i]);
    if (ch < 0x20 || ch == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", ch);
      out += buf;
    } else {
      out += static_cast<char>(ch);
    }
  }
  if (text.size() > max_chars) out += "...";
  return out;
}

// "--flag VALUE" for the start of an error line.
inline std::string flagValue(const std::string& flag, const std::string& text) {
  return flag + " " + shownValue(text);
}

}  // namespace te
