// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>
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

namespace detail {
/// True for the element types a buffer can cover: those whose bytes are their value
/// (trivially copyable), except pointers, whose bytes are an address in this process only.
/// A `std::string`'s bytes are a pointer and sizes, so it is not one either.
template <class T>
inline constexpr bool is_buffer_element_v = std::is_trivially_copyable_v<T> && !std::is_pointer_v<T> &&
                                            !std::is_member_pointer_v<T> && !std::is_null_pointer_v<T>;
/// The character types, whose const arrays are text (string literals), not element arrays.
template <class T>
inline constexpr bool is_character_v = std::is_same_v<std::remove_cv_t<T>, char> ||
                                       std::is_same_v<std::remove_cv_t<T>, wchar_t> ||
                                       std::is_same_v<std::remove_cv_t<T>, char16_t> ||
                                       std::is_same_v<std::remove_cv_t<T>, char32_t>;
/// Vectors of buffer elements, except `std::vector<bool>`, which stores packed bits.
template <class T>
inline constexpr bool is_vector_element_v = is_buffer_element_v<T> && !std::is_same_v<T, bool>;
} // namespace detail

/// A buffer over `size` bytes at `data`.
inline ConstBuffer buffer(const void* data, std::size_t size) noexcept { return {data, size}; }
/// A buffer over the characters of `text` (for a string literal: up to its NUL).
inline ConstBuffer buffer(std::string_view text) noexcept { return {text.data(), text.size()}; }
/// A writable buffer over `size` bytes at `data`.
inline MutableBuffer buffer(void* data, std::size_t size) noexcept { return {data, size}; }

/// A writable buffer over every element of an array (`char buf[64]`, `std::uint8_t buf[16]`).
template <class T, std::size_t N, std::enable_if_t<detail::is_buffer_element_v<T> && !std::is_const_v<T>, int> = 0>
MutableBuffer buffer(T (&array)[N]) noexcept {
    return {array, N * sizeof(T)};
}
/// A buffer over every element of a const array of numbers or structs. (A const `char`
/// array is text: `buffer(std::string_view)` takes it, up to its NUL.)
template <class T, std::size_t N,
          std::enable_if_t<detail::is_buffer_element_v<T> && !detail::is_character_v<T>, int> = 0>
ConstBuffer buffer(const T (&array)[N]) noexcept {
    return {array, N * sizeof(T)};
}
/// Not a buffer: the elements are pointers, or objects whose bytes are not their value
/// (`std::string`): send each element's contents instead.
template <class T, std::size_t N, std::enable_if_t<!detail::is_buffer_element_v<T>, int> = 0>
void buffer(T (&elements_are_pointers_or_not_trivially_copyable)[N]) = delete;

/// A writable buffer over the current contents of `s` (resize it first).
inline MutableBuffer buffer(std::string& s) noexcept { return {&s[0], s.size()}; }

/// A writable buffer over the current contents of `v` (resize it first). The elements
/// must be trivially copyable and not pointers: `std::vector<std::string>` is rejected.
template <class T, class Allocator, std::enable_if_t<detail::is_vector_element_v<T>, int> = 0>
MutableBuffer buffer(std::vector<T, Allocator>& v) noexcept {
    return {v.data(), v.size() * sizeof(T)};
}
/// A buffer over the contents of `v`. The elements must be trivially copyable and not
/// pointers. (A temporary vector lives until the end of the call it is passed to.)
template <class T, class Allocator, std::enable_if_t<detail::is_vector_element_v<T>, int> = 0>
ConstBuffer buffer(const std::vector<T, Allocator>& v) noexcept {
    return {v.data(), v.size() * sizeof(T)};
}
/// Not a buffer: the elements are pointers, `bool` bits, or objects whose bytes are not
/// their value (`std::string`): send each element's contents instead.
template <class T, class Allocator, std::enable_if_t<!detail::is_vector_element_v<T>, int> = 0>
void buffer(const std::vector<T, Allocator>& elements_are_pointers_bools_or_not_trivially_copyable) = delete;

/// A writable buffer over every element of `a`. The elements must be trivially copyable
/// and not pointers.
template <class T, std::size_t N, std::enable_if_t<detail::is_buffer_element_v<T>, int> = 0>
MutableBuffer buffer(std::array<T, N>& a) noexcept {
    return {a.data(), N * sizeof(T)};
}
/// A buffer over every element of `a`. The elements must be trivially copyable and not
/// pointers.
template <class T, std::size_t N, std::enable_if_t<detail::is_buffer_element_v<T>, int> = 0>
ConstBuffer buffer(const std::array<T, N>& a) noexcept {
    return {a.data(), N * sizeof(T)};
}
/// Not a buffer: the elements are pointers, or objects whose bytes are not their value
/// (`std::string`): send each element's contents instead.
template <class T, std::size_t N, std::enable_if_t<!detail::is_buffer_element_v<T>, int> = 0>
void buffer(const std::array<T, N>& elements_are_pointers_or_not_trivially_copyable) = delete;

} // namespace sockit
