#include "bench/report/json_filter.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

#include "common/shown_value.h"

namespace te::bench {
namespace {

using Json = nlohmann::json;

class SkippingDom final : public nlohmann::json_sax<Json> {
 public:
  SkippingDom(const std::set<std::string>& skipped, const std::string& packed_key)
      : skipped_(skipped), packed_key_(packed_key) {}
  Json take() { return std::move(root_); }

  bool null() override { return scalar(nullptr); }
  bool boolean(bool v) override { return scalar(v); }
  bool number_integer(number_integer_t v) override { return scalar(v); }
  bool number_unsigned(number_unsigned_t v) override { return scalar(v); }
  bool number_float(number_float_t v, const string_t&) override { return scalar(v); }
  bool string(string_t& v) override { return scalar(std::move(v)); }
  bool binary(binary_t& v) override { return scalar(Json::binary(std::move(v))); }
  bool start_object(std::size_t) override { return open(Json::object()); }
  bool start_array(std::size_t) override { return open(Json::array()); }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }
  bool key(string_t& k) override {
    if (skip_depth_ > 0) return true;
    if (skipped_.count(k)) skip_next_ = true;
    else key_ = std::move(k);
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }

 private:
  // Where a new value goes: the root, the end of the open array, or the open object's key.
  // Open containers are only grown at their end, so the pointers on the stack stay valid.
  Json* place(Json&& v) {
    if (stack_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    Json& top = *stack_.back();
    if (top.is_array()) {
      top.push_back(std::move(v));
      return &top.back();
    }
    return &(top[key_] = std::move(v));
  }
  bool skipping() {
    if (skip_depth_ > 0) return true;
    if (!skip_next_) return false;
    skip_next_ = false;
    return true;
  }
  template <typename V>
  bool scalar(V&& v) {
    if (!skipping()) place(Json(std::forward<V>(v)));
    return true;
  }
  bool open(Json&& empty) {
    if (skip_depth_ > 0 || skip_next_) {
      skip_next_ = false;
      ++skip_depth_;
      return true;
    }
    // An array that is the value of the packed key (the key is read before place() uses it).
    const bool packs = empty.is_array() && !packed_key_.empty() && !stack_.empty() && stack_.back()->is_object() &&
                       key_ == packed_key_;
    stack_.push_back(place(std::move(empty)));
    packs_.push_back(packs);
    return true;
  }
  bool close() {
    if (skip_depth_ > 0) {
      --skip_depth_;
      return true;
    }
    stack_.pop_back();
    packs_.pop_back();
    if (!packs_.empty() && packs_.back() && stack_.back()->back().is_object()) {
      Json& element = stack_.back()->back();
      element = Json::binary(Json::to_msgpack(element));
    }
    return true;
  }

  const std::set<std::string>& skipped_;
  const std::string packed_key_;
  Json root_;
  std::vector<Json*> stack_;
  std::vector<bool> packs_;  // per open container: an array whose objects are packed
  std::string key_;
  bool skip_next_ = false;  // the next value belongs to a skipped key
  int skip_depth_ = 0;      // inside a skipped container
};

}  // namespace

std::optional<nlohmann::json> parseJsonWithout(std::istream& in, const std::set<std::string>& skipped_keys,
                                               const std::string& packed_key) {
  SkippingDom dom(skipped_keys, packed_key);
  if (!Json::sax_parse(in, &dom, nlohmann::json::input_format_t::json, /*strict=*/true)) return std::nullopt;
  return dom.take();
}

nlohmann::json unpacked(const nlohmann::json& element) {
  return element.is_binary() ? Json::from_msgpack(element.get_binary()) : element;
}

Result<nlohmann::json> loadJsonFile(const std::string& path, const std::set<std::string>& skipped_keys,
                                    const std::string& what, const std::string& packed_key) {
  struct stat st{};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return invalidArgument(shownValue(path) + ": a directory; allowed " + what);
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) return invalidArgument(shownValue(path) + ": cannot open (" + std::strerror(errno) + ")");
  std::optional<nlohmann::json> j;
  try {
    j = parseJsonWithout(f, skipped_keys, packed_key);
  } catch (const std::exception& e) {  // a read error (std::ios_failure)
    return invalidArgument(shownValue(path) + ": cannot read (" + shownValue(e.what()) + ")");
  }
  if (!j) return invalidArgument(shownValue(path) + ": not valid JSON");
  return std::move(*j);
}

}  // namespace te::bench
