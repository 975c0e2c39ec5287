// SPDX-License-Identifier: MIT
// Windows (Winsock 2) part of platform.hpp, which includes it: never include it directly.
// Winsock's SOCKET handles, its WSAE* errors mapped to the portable std::errc codes, and
// WSAStartup done once per process. The program must link ws2_32 (the CMake target does).
#pragma once

// WSAPoll, inet_pton and inet_ntop need Windows Vista; sockit asks for Windows 7 unless the
// program chose a version before including any Windows header.
#if !defined(_WIN32_WINNT)
#define _WIN32_WINNT 0x0601
#elif _WIN32_WINNT < 0x0600
#error "sockit needs Windows Vista or newer: define _WIN32_WINNT as 0x0600 or more before any Windows header"
#endif
// <windows.h> would otherwise define min and max macros, which break std::numeric_limits<T>::max().
#ifndef NOMINMAX
#define NOMINMAX
#endif

#include <cerrno>
#include <string>
#include <system_error>

#include <winsock2.h>
#include <ws2tcpip.h>

namespace sockit::detail {

/// The operating system's socket handle type.
using native_handle_type = ::SOCKET;
/// The value of a handle that refers to no socket.
inline constexpr native_handle_type invalid_handle = INVALID_SOCKET;
/// False for INVALID_SOCKET (SOCKET is unsigned: there are no negative handles).
inline constexpr bool is_valid_handle(native_handle_type h) noexcept { return h != INVALID_SOCKET; }
/// Signed size returned by the send and receive calls.
using ssize_type = int;
/// Length type of socket addresses.
using socklen_type = int;

/// The errno value that means the same as Winsock error `code`, or 0 if there is none.
inline int portable_errno(int code) noexcept {
    switch (code) {
    case WSAEINTR: return EINTR;
    case WSAEBADF: return EBADF;
    case WSAEACCES: return EACCES;
    case WSAEFAULT: return EFAULT;
    case WSAEINVAL: return EINVAL;
    case WSAEMFILE: return EMFILE;
    case WSAEWOULDBLOCK: return EWOULDBLOCK;
    case WSAEINPROGRESS: return EINPROGRESS;
    case WSAEALREADY: return EALREADY;
    case WSAENOTSOCK: return ENOTSOCK;
    case WSAEDESTADDRREQ: return EDESTADDRREQ;
    case WSAEMSGSIZE: return EMSGSIZE;
    case WSAEPROTOTYPE: return EPROTOTYPE;
    case WSAENOPROTOOPT: return ENOPROTOOPT;
    case WSAEPROTONOSUPPORT: return EPROTONOSUPPORT;
    case WSAEOPNOTSUPP: return EOPNOTSUPP;
    case WSAEAFNOSUPPORT: return EAFNOSUPPORT;
    case WSAEADDRINUSE: return EADDRINUSE;
    case WSAEADDRNOTAVAIL: return EADDRNOTAVAIL;
    case WSAENETDOWN: return ENETDOWN;
    case WSAENETUNREACH: return ENETUNREACH;
    case WSAENETRESET: return ENETRESET;
    case WSAECONNABORTED: return ECONNABORTED;
    case WSAECONNRESET: return ECONNRESET;
    case WSAENOBUFS: return ENOBUFS;
    case WSAEISCONN: return EISCONN;
    case WSAENOTCONN: return ENOTCONN;
    case WSAESHUTDOWN: return EPIPE; // sending after shutdown(SD_SEND): EPIPE on POSIX
    case WSAETIMEDOUT: return ETIMEDOUT;
    case WSAECONNREFUSED: return ECONNREFUSED;
    case WSAEHOSTUNREACH: return EHOSTUNREACH;
    default: return 0;
    }
}

/// A Winsock error's text, or null if the code is not a Winsock error. The C++ runtime's
/// system_category() knows only some of these (MinGW's calls WSAEADDRINUSE "Unknown error code").
inline const char* winsock_message(int code) noexcept {
    switch (code) {
    case WSAEINTR: return "Interrupted function call";
    case WSAEBADF: return "Bad file descriptor";
    case WSAEACCES: return "Permission denied";
    case WSAEFAULT: return "Bad address";
    case WSAEINVAL: return "Invalid argument";
    case WSAEMFILE: return "Too many open sockets";
    case WSAEWOULDBLOCK: return "Resource temporarily unavailable";
    case WSAEINPROGRESS: return "Operation now in progress";
    case WSAEALREADY: return "Operation already in progress";
    case WSAENOTSOCK: return "Socket operation on non-socket";
    case WSAEDESTADDRREQ: return "Destination address required";
    case WSAEMSGSIZE: return "Message too long";
    case WSAEPROTOTYPE: return "Protocol wrong type for socket";
    case WSAENOPROTOOPT: return "Protocol not available (bad option or level)";
    case WSAEPROTONOSUPPORT: return "Protocol not supported";
    case WSAESOCKTNOSUPPORT: return "Socket type not supported";
    case WSAEOPNOTSUPP: return "Operation not supported";
    case WSAEPFNOSUPPORT: return "Protocol family not supported";
    case WSAEAFNOSUPPORT: return "Address family not supported by protocol";
    case WSAEADDRINUSE: return "Address already in use";
    case WSAEADDRNOTAVAIL: return "Cannot assign requested address";
    case WSAENETDOWN: return "Network is down";
    case WSAENETUNREACH: return "Network is unreachable";
    case WSAENETRESET: return "Network dropped connection on reset";
    case WSAECONNABORTED: return "Software caused connection abort";
    case WSAECONNRESET: return "Connection reset by peer";
    case WSAENOBUFS: return "No buffer space available";
    case WSAEISCONN: return "Socket is already connected";
    case WSAENOTCONN: return "Socket is not connected";
    case WSAESHUTDOWN: return "Cannot send after socket shutdown";
    case WSAETIMEDOUT: return "Connection timed out";
    case WSAECONNREFUSED: return "Connection refused";
    case WSAEHOSTDOWN: return "Host is down";
    case WSAEHOSTUNREACH: return "No route to host";
    case WSASYSNOTREADY: return "Network subsystem is unavailable";
    case WSAVERNOTSUPPORTED: return "Winsock version not supported";
    case WSANOTINITIALISED: return "Winsock not initialised";
    case WSAEDISCON: return "Graceful shutdown in progress";
    default: return nullptr;
    }
}

/// The category of Winsock error codes. Messages are Winsock's own; each code is equivalent to
/// the std::errc condition of the same meaning (WSAECONNREFUSED == std::errc::connection_refused),
/// so that comparisons with std::errc, and sockit's exception classes, work as on POSIX.
/// (Storing the errno value in std::generic_category() instead would compare the same, but the
/// C runtime's strerror calls most of these errors "Unknown error".)
class WinsockCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "winsock"; }
    std::string message(int value) const override {
        if (const char* text = winsock_message(value)) return text;
        return std::system_category().message(value) + " (Windows error " + std::to_string(value) + ")";
    }
    std::error_condition default_error_condition(int value) const noexcept override {
        int portable = portable_errno(value);
        if (portable != 0) return {portable, std::generic_category()};
        return {value, *this};
    }
};

/// A Winsock error (WSAGetLastError, SO_ERROR) as an error code.
inline std::error_code native_error(int code) noexcept {
    static const WinsockCategory category;
    return {code, category};
}

/// The error of the last failed Winsock call, as a portable error code.
inline std::error_code last_error() noexcept { return native_error(::WSAGetLastError()); }

/// Starts Winsock the first time it is called (thread-safe) and stops it at exit; returns
/// WSAStartup's error, 0 on success. Every call that can be a process's first socket call
/// (socket, getaddrinfo) goes through it.
inline int network_startup() noexcept {
    struct Winsock {
        int error;
        Winsock() noexcept {
            ::WSADATA data;
            error = ::WSAStartup(MAKEWORD(2, 2), &data);
        }
        Winsock(const Winsock&) = delete;
        Winsock& operator=(const Winsock&) = delete;
        ~Winsock() {
            if (error == 0) ::WSACleanup();
        }
    };
    static const Winsock winsock;
    return winsock.error;
}

/// Winsock's getaddrinfo reports every failure itself (there is no EAI_SYSTEM).
inline bool is_resolver_system_error(int) noexcept { return false; }

} // namespace sockit::detail
