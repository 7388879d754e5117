// Little helpers to pack / unpack connection data into Bytes, with bounds-checked reads so
// a corrupt or foreign blob is an error, not a crash.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>

#include "common/collective.h"

namespace te {

class ByteWriter {
 public:
  template <typename T>
  ByteWriter& put(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    out_.insert(out_.end(), p, p + sizeof(T));
    return *this;
  }
  ByteWriter& putString(const std::string& s) {
    put<uint32_t>(static_cast<uint32_t>(s.size()));
    out_.insert(out_.end(), s.begin(), s.end());
    return *this;
  }
  ByteWriter& putBytes(const Bytes& b) {
    put<uint32_t>(static_cast<uint32_t>(b.size()));
    out_.insert(out_.end(), b.begin(), b.end());
    return *this;
  }
  Bytes take() { return std::move(out_); }

 private:
  Bytes out_;
};

class ByteReader {
 public:
  explicit ByteReader(const Bytes& in) : data_(in.data()), size_(in.size()) {}
  ByteReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  template <typename T>
  bool get(T* v) {
    static_assert(std::is_trivially_copyable_v<T>);
    if (size_ - pos_ < sizeof(T)) return false;
    std::memcpy(v, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }
  bool getString(std::string* s, size_t max_len = 1 << 20) {
    uint32_t n = 0;
    if (!get(&n) || n > max_len || size_ - pos_ < n) return false;
    s->assign(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return true;
  }
  bool getBytes(Bytes* b, size_t max_len = 64 << 20) {
    uint32_t n = 0;
    if (!get(&n) || n > max_len || size_ - pos_ < n) return false;
    b->assign(data_ + pos_, data_ + pos_ + n);
    pos_ += n;
    return true;
  }
  bool done() const { return pos_ == size_; }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

}  // namespace te
