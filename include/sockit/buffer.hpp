// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sockit {

/// A view of bytes to send: a pointer and a size. The caller owns the bytes.
struct ConstBuffer {
    const void* data = nullptr; ///< first byte
    std::size_t size = 0;       ///< number of bytes
};

/// A view of writable bytes to receive into. The caller owns the bytes.
struct MutableBuffer {
    void* data = nullptr; ///< first byte
    std::size_t size = 0; ///< capacity in bytes

    /// Writable bytes can be sent too.
    operator ConstBuffer() const noexcept { return {data, size}; }
};

/// A buffer over `size` bytes at `data`.
inline ConstBuffer buffer(const void* data, std::size_t size) noexcept { return {data, size}; }
/// A buffer over the characters of `text`.
inline ConstBuffer buffer(std::string_view text) noexcept { return {text.data(), text.size()}; }
/// A writable buffer over `size` bytes at `data`.
inline MutableBuffer buffer(void* data, std::size_t size) noexcept { return {data, size}; }
/// A writable buffer over a character array.
template <std::size_t N>
MutableBuffer buffer(char (&array)[N]) noexcept {
    return {array, N};
}
/// A writable buffer over the current contents of `s` (resize it first).
inline MutableBuffer buffer(std::string& s) noexcept { return {&s[0], s.size()}; }
/// A writable buffer over the current contents of `v` (resize it first).
template <class T>
MutableBuffer buffer(std::vector<T>& v) noexcept {
    return {v.data(), v.size() * sizeof(T)};
}

} // namespace sockit
