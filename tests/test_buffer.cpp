// SPDX-License-Identifier: MIT
#include "support.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

using sockit::ConstBuffer;
using sockit::MutableBuffer;

namespace {
// Whether sockit::buffer accepts an argument of type Arg, and what it returns.
template <class Arg, class = void>
struct can_buffer : std::false_type {};
template <class Arg>
struct can_buffer<Arg, std::void_t<decltype(sockit::buffer(std::declval<Arg>()))>> : std::true_type {};
template <class Arg>
using buffer_t = decltype(sockit::buffer(std::declval<Arg>()));

struct Header {
    std::uint32_t length;
    std::uint16_t kind;
    std::uint16_t flags;
};
} // namespace

// Only elements whose bytes are the value can be sent: a std::string's bytes are a pointer
// and sizes, a pointer's bytes an address in this process.
static_assert(!can_buffer<std::vector<std::string>&>::value, "a vector of std::string is not bytes");
static_assert(!can_buffer<const std::vector<std::string>&>::value, "a vector of std::string is not bytes");
static_assert(!can_buffer<std::vector<int*>&>::value, "a vector of pointers is not bytes");
static_assert(!can_buffer<const std::vector<const char*>&>::value, "a vector of pointers is not bytes");
static_assert(!can_buffer<std::vector<bool>&>::value, "std::vector<bool> is packed bits, with no data()");
static_assert(!can_buffer<std::array<std::string, 2>&>::value, "an array of std::string is not bytes");
static_assert(!can_buffer<const std::array<int*, 2>&>::value, "an array of pointers is not bytes");
static_assert(!can_buffer<std::string (&)[2]>::value, "an array of std::string is not bytes");
static_assert(!can_buffer<const char* (&)[2]>::value, "an array of pointers is not bytes");

// Writable containers give a MutableBuffer, const ones a ConstBuffer.
static_assert(std::is_same_v<buffer_t<std::vector<char>&>, MutableBuffer>);
static_assert(std::is_same_v<buffer_t<const std::vector<char>&>, ConstBuffer>);
static_assert(std::is_same_v<buffer_t<std::vector<char>>, ConstBuffer>); // a temporary, for one call
static_assert(std::is_same_v<buffer_t<std::vector<Header>&>, MutableBuffer>);
static_assert(std::is_same_v<buffer_t<std::array<std::uint8_t, 4>&>, MutableBuffer>);
static_assert(std::is_same_v<buffer_t<const std::array<std::uint8_t, 4>&>, ConstBuffer>);
static_assert(std::is_same_v<buffer_t<char (&)[8]>, MutableBuffer>);
static_assert(std::is_same_v<buffer_t<std::uint8_t (&)[8]>, MutableBuffer>);
static_assert(std::is_same_v<buffer_t<const std::uint16_t (&)[8]>, ConstBuffer>);
static_assert(std::is_same_v<buffer_t<const char (&)[4]>, ConstBuffer>); // text, as a string_view
static_assert(std::is_same_v<buffer_t<std::string&>, MutableBuffer>);
static_assert(std::is_same_v<buffer_t<const std::string&>, ConstBuffer>);
static_assert(std::is_same_v<buffer_t<std::string_view>, ConstBuffer>);

TEST_CASE("buffer covers the bytes of vectors, arrays and strings", "[buffer]") {
    SECTION("vectors, writable and const") {
        std::vector<std::uint32_t> v{1, 2, 3};
        MutableBuffer m = sockit::buffer(v);
        CHECK(m.data == v.data());
        CHECK(m.size == 12);
        const std::vector<std::uint32_t>& cv = v;
        ConstBuffer c = sockit::buffer(cv);
        CHECK(c.data == v.data());
        CHECK(c.size == 12);
        std::vector<Header> headers(2);
        CHECK(sockit::buffer(headers).size == 2 * sizeof(Header));
        std::vector<char> empty;
        CHECK(sockit::buffer(empty).size == 0);
    }
    SECTION("std::array, writable and const") {
        std::array<std::uint16_t, 5> a{};
        MutableBuffer m = sockit::buffer(a);
        CHECK(m.data == a.data());
        CHECK(m.size == 10);
        const std::array<std::uint16_t, 5>& ca = a;
        ConstBuffer c = sockit::buffer(ca);
        CHECK(c.data == a.data());
        CHECK(c.size == 10);
    }
    SECTION("C arrays: every element; a const char array is text up to its NUL") {
        std::uint16_t words[5] = {};
        MutableBuffer m = sockit::buffer(words);
        CHECK(m.data == words);
        CHECK(m.size == sizeof words);
        char chars[8] = {};
        CHECK(sockit::buffer(chars).size == 8);
        const std::int32_t table[3] = {1, 2, 3};
        ConstBuffer c = sockit::buffer(table);
        CHECK(c.data == table);
        CHECK(c.size == 12);
        CHECK(sockit::buffer("abc").size == 3);
    }
    SECTION("strings") {
        std::string s = "hello";
        MutableBuffer m = sockit::buffer(s);
        CHECK(m.data == s.data());
        CHECK(m.size == 5);
        const std::string& cs = s;
        CHECK(sockit::buffer(cs).data == s.data());
        CHECK(sockit::buffer(std::string_view(s).substr(1)).size == 4);
    }
}
