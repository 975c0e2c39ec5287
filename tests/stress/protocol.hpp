// SPDX-License-Identifier: MIT
// The echo protocol of the load and fault tests: a 16-byte header (length, sequence
// number, checksum) and the message's bytes, echoed back unchanged.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace stress {

/// splitmix64: a fast, seedable source of message lengths and bytes.
class Random {
public:
    explicit Random(std::uint64_t seed) : state_(seed) {}
    std::uint64_t next() {
        std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    /// A number from `low` to `high` inclusive.
    std::size_t between(std::size_t low, std::size_t high) {
        return low + static_cast<std::size_t>(next() % (high - low + 1));
    }
    /// Fills `size` bytes with random data.
    void fill(char* data, std::size_t size) {
        std::size_t i = 0;
        for (; i + 8 <= size; i += 8) {
            std::uint64_t word = next();
            std::memcpy(data + i, &word, 8);
        }
        std::uint64_t word = next();
        std::memcpy(data + i, &word, size - i);
    }

private:
    std::uint64_t state_;
};

/// A 64-bit checksum of `size` bytes (FNV-1a over 8-byte words, then the tail byte by byte).
inline std::uint64_t checksum(const char* data, std::size_t size) {
    std::uint64_t h = 0xcbf29ce484222325ull ^ size;
    std::size_t i = 0;
    for (; i + 8 <= size; i += 8) {
        std::uint64_t word;
        std::memcpy(&word, data + i, 8);
        h = (h ^ word) * 0x100000001b3ull;
        h ^= h >> 29;
    }
    for (; i < size; ++i) h = (h ^ static_cast<unsigned char>(data[i])) * 0x100000001b3ull;
    return h;
}

/// The header before every message: its length, its sequence number and the checksum of its bytes.
struct Header {
    std::uint32_t length = 0;
    std::uint32_t sequence = 0;
    std::uint64_t sum = 0;
};
static_assert(sizeof(Header) == 16, "the header is 16 bytes on the wire");

/// The largest message the echo server accepts.
constexpr std::size_t max_message = 64 * 1024;

} // namespace stress
