// One table of (value, name) rows per enum gives both directions, so a name is written
// once: the first row of a value is its name; every row is accepted when parsing (aliases
// after the canonical row).
#pragma once

#include <cstddef>
#include <string>

namespace te {

template <typename E>
struct EnumName {
  E value;
  const char* name;
};

template <typename E, size_t N>
const char* enumName(const EnumName<E> (&table)[N], E value) {
  for (const EnumName<E>& row : table) {
    if (row.value == value) return row.name;
  }
  return "?";
}

template <typename E, size_t N>
bool parseEnum(const EnumName<E> (&table)[N], const std::string& text, E* out) {
  for (const EnumName<E>& row : table) {
    if (text == row.name) {
      *out = row.value;
      return true;
    }
  }
  return false;
}

}  // namespace te
