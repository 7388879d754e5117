// parseJsonWithout: the DOM of a document less the values of some keys, at any depth.
#include "bench/report/json_filter.h"

#include <gtest/gtest.h>

#include <sstream>

namespace te::bench {
namespace {

std::optional<nlohmann::json> parse(const std::string& text, const std::set<std::string>& skipped) {
  std::istringstream in(text);
  return parseJsonWithout(in, skipped);
}

TEST(JsonFilter, SkipsTheValuesOfTheKeysWhereverTheyAre) {
  const std::string text = R"({"results": [
      {"links": [{"a": 1, "samples": [1, 2, {"x": [3]}], "b": "s"}, {"a": 2, "samples": null}],
       "analysis": {"deep": {"samples": 1}}, "n": -3, "f": 1.5, "t": true},
      []],
    "samples": "top", "z": {}})";
  const std::optional<nlohmann::json> j = parse(text, {"samples", "analysis"});
  ASSERT_TRUE(j);
  EXPECT_EQ(*j, nlohmann::json::parse(R"({"results": [
      {"links": [{"a": 1, "b": "s"}, {"a": 2}], "n": -3, "f": 1.5, "t": true}, []], "z": {}})"));
}

TEST(JsonFilter, WithoutKeysToSkipItIsTheWholeDocument) {
  const std::string text = R"([1, {"k": [null, false, "x", 18446744073709551615]}, -1e300])";
  const std::optional<nlohmann::json> j = parse(text, {});
  ASSERT_TRUE(j);
  EXPECT_EQ(*j, nlohmann::json::parse(text));
  EXPECT_EQ(*parse("42", {}), 42);
}

TEST(JsonFilter, InvalidJsonIsNullopt) {
  EXPECT_FALSE(parse(R"({"a": [1, 2})", {"a"}));
  EXPECT_FALSE(parse("", {}));
  EXPECT_FALSE(parse(R"({"a": 1} trailing)", {}));
}

// With a packed key, the objects of an array under that key (and only those) are kept
// packed; unpacked() gives each back as parsed, skipped keys still left out.
TEST(JsonFilter, ObjectsOfThePackedKeysArraysStayPackedUntilRead) {
  const std::string text = R"({"results": [{"links": [{"a": 1, "samples": [1], "nics": [{"b": 2}]}, 7, {"c": {"links": 3}}],
      "summary": {"links": 2}, "other": [{"d": 4}]}], "links": [[1], {"e": 5}]})";
  std::istringstream in(text);
  const std::optional<nlohmann::json> j = parseJsonWithout(in, {"samples"}, "links");
  ASSERT_TRUE(j);
  const nlohmann::json& links = (*j)["results"][0]["links"];
  ASSERT_EQ(links.size(), 3u);
  EXPECT_TRUE(links[0].is_binary());
  EXPECT_EQ(unpacked(links[0]), nlohmann::json::parse(R"({"a": 1, "nics": [{"b": 2}]})"));
  EXPECT_EQ(links[1], 7) << "not an object: as it is";
  EXPECT_EQ(unpacked(links[2]), nlohmann::json::parse(R"({"c": {"links": 3}})"));
  EXPECT_EQ((*j)["results"][0]["summary"]["links"], 2);
  EXPECT_EQ((*j)["results"][0]["other"][0], nlohmann::json::parse(R"({"d": 4})")) << "another key's array";
  EXPECT_EQ((*j)["links"][0], nlohmann::json::parse("[1]"));
  EXPECT_EQ(unpacked((*j)["links"][1]), nlohmann::json::parse(R"({"e": 5})"));
  EXPECT_EQ(unpacked(nlohmann::json(3)), 3);
}

// A long array of objects is parsed in linear time (nlohmann's parse callback is quadratic
// there): 200,000 objects, each with a skipped member.
TEST(JsonFilter, ALongArrayOfObjects) {
  std::string text = "[";
  for (int i = 0; i < 200000; ++i) text += std::string(i ? "," : "") + R"({"i":)" + std::to_string(i) + R"(,"samples":[1,2]})";
  text += "]";
  const std::optional<nlohmann::json> j = parse(text, {"samples"});
  ASSERT_TRUE(j);
  ASSERT_EQ(j->size(), 200000u);
  EXPECT_EQ((*j)[199999], nlohmann::json({{"i", 199999}}));
}

}  // namespace
}  // namespace te::bench
