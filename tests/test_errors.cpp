// SPDX-License-Identifier: MIT
// The error types: the exception hierarchy, errno-to-class mapping, sockit's and
// the resolver's error categories, and the format of what().
#include "support.hpp"

#include <cerrno>
#include <cstring>
#include <string>
#include <type_traits>
#include <typeinfo>

#include <netdb.h>

using sockit::Errc;

static_assert(std::is_base_of<std::system_error, sockit::Error>::value, "Error is a std::system_error");
static_assert(std::is_base_of<sockit::Error, sockit::AddressError>::value, "AddressError is an Error");
static_assert(std::is_base_of<sockit::Error, sockit::TimeoutError>::value, "TimeoutError is an Error");
static_assert(std::is_base_of<sockit::Error, sockit::ConnectionError>::value, "ConnectionError is an Error");
static_assert(std::is_base_of<sockit::ConnectionError, sockit::ConnectionRefused>::value, "");
static_assert(std::is_base_of<sockit::ConnectionError, sockit::ConnectionReset>::value, "");
static_assert(std::is_base_of<sockit::ConnectionError, sockit::ConnectionAborted>::value, "");
static_assert(std::is_base_of<sockit::ConnectionError, sockit::BrokenPipe>::value, "");
static_assert(std::is_base_of<sockit::Error, sockit::AddressInUse>::value, "AddressInUse is an Error");
static_assert(!std::is_base_of<sockit::ConnectionError, sockit::AddressInUse>::value, "");
static_assert(!std::is_base_of<sockit::ConnectionError, sockit::TimeoutError>::value, "");

namespace {

std::error_code sys(int value) { return {value, std::generic_category()}; }

/// Throws `ec` through detail::throw_error and checks the exact class caught.
template <class Expected>
void check_maps_to(const std::error_code& ec) {
    INFO(ec.category().name() << ' ' << ec.value() << " (" << ec.message() << ")");
    try {
        sockit::detail::throw_error(ec, "call 127.0.0.1:1");
    } catch (const Expected& e) {
        CHECK(typeid(e) == typeid(Expected));
        CHECK(e.code() == ec);
        CHECK(std::string(e.what()) == "call 127.0.0.1:1: " + ec.message());
        return;
    } catch (const std::exception& e) {
        FAIL("caught " << typeid(e).name() << ": " << e.what());
    }
    FAIL("nothing was thrown");
}

} // namespace

TEST_CASE("throw_error maps each error to its class", "[errors]") {
    sockit_test::FdLeakCheck leaks;
    check_maps_to<sockit::ConnectionRefused>(sys(ECONNREFUSED));
    check_maps_to<sockit::ConnectionReset>(sys(ECONNRESET));
    check_maps_to<sockit::ConnectionAborted>(sys(ECONNABORTED));
    check_maps_to<sockit::BrokenPipe>(sys(EPIPE));
    check_maps_to<sockit::AddressInUse>(sys(EADDRINUSE));
    check_maps_to<sockit::TimeoutError>(sys(ETIMEDOUT));
    check_maps_to<sockit::TimeoutError>(Errc::timed_out);
    check_maps_to<sockit::AddressError>(Errc::invalid_address);
    check_maps_to<sockit::AddressError>(Errc::invalid_port);
    check_maps_to<sockit::AddressError>(std::error_code(EAI_NONAME, sockit::resolver_category()));
    check_maps_to<sockit::Error>(sys(EACCES));
    check_maps_to<sockit::Error>(sys(EAGAIN));
    check_maps_to<sockit::Error>(sys(EMSGSIZE));
    check_maps_to<sockit::Error>(Errc::datagram_truncated);
    check_maps_to<sockit::Error>(Errc::invalid_argument);
    check_maps_to<sockit::Error>(Errc::end_of_stream);
}

TEST_CASE("every sockit exception is catchable as std::system_error and its bases", "[errors]") {
    sockit_test::FdLeakCheck leaks;
    for (int value : {ECONNREFUSED, ECONNRESET, ECONNABORTED, EPIPE}) {
        CHECK_THROWS_AS(sockit::detail::throw_error(sys(value), "x"), sockit::ConnectionError);
        CHECK_THROWS_AS(sockit::detail::throw_error(sys(value), "x"), sockit::Error);
    }
    for (int value : {ECONNREFUSED, ECONNRESET, ECONNABORTED, EPIPE, EADDRINUSE, ETIMEDOUT, EACCES}) {
        try {
            sockit::detail::throw_error(sys(value), "x");
            FAIL("nothing was thrown");
        } catch (const std::system_error& e) {
            CHECK(e.code() == sys(value));
        }
    }
    CHECK_THROWS_AS(sockit::detail::throw_error(Errc::timed_out, "x"), std::system_error);
    CHECK_THROWS_AS(sockit::Address("not an address", 1), std::system_error);
}

TEST_CASE("what() is \"call address: message\"", "[errors]") {
    sockit_test::FdLeakCheck leaks;
    sockit::Error e(sys(ECONNREFUSED), "connect 127.0.0.1:7777");
    CHECK(std::string(e.what()) == "connect 127.0.0.1:7777: Connection refused");
    CHECK(e.code() == std::errc::connection_refused);
    sockit::TimeoutError t(Errc::timed_out, "recv [::1]:80");
    CHECK(std::string(t.what()) == "recv [::1]:80: timed out");
}

TEST_CASE("sockit's error category", "[errors]") {
    sockit_test::FdLeakCheck leaks;
    CHECK(std::string(sockit::sockit_category().name()) == "sockit");
    CHECK(std::error_code(Errc::timed_out).category() == sockit::sockit_category());
    CHECK(std::error_code(Errc::timed_out).message() == "timed out");
    CHECK(std::error_code(Errc::invalid_address).message() == "not a numeric IPv4 or IPv6 address");
    CHECK(std::error_code(Errc::invalid_port).message() == "port must be a number from 0 to 65535");
    CHECK(std::error_code(Errc::datagram_truncated).message() == "datagram truncated: larger than the receive buffer");
    CHECK(std::error_code(Errc::end_of_stream).message() == "connection closed by the peer before all data arrived");
    CHECK(std::error_code(Errc::invalid_argument).message() == "invalid argument");
    CHECK(sockit::sockit_category().message(999) == "unknown sockit error");

    SECTION("equivalence to the standard conditions") {
        CHECK(std::error_code(Errc::timed_out) == std::errc::timed_out);
        CHECK(std::error_code(Errc::invalid_address) == std::errc::invalid_argument);
        CHECK(std::error_code(Errc::invalid_port) == std::errc::invalid_argument);
        CHECK(std::error_code(Errc::invalid_argument) == std::errc::invalid_argument);
        CHECK(std::error_code(Errc::datagram_truncated) == std::errc::message_size);
        CHECK(std::error_code(Errc::end_of_stream) != std::errc::connection_reset);
        CHECK(std::error_code(Errc::timed_out) != std::errc::invalid_argument);
        CHECK(std::error_code(Errc::timed_out) != Errc::invalid_port);
        // a system ETIMEDOUT and sockit's own timeout are the same condition
        CHECK(std::errc::timed_out == std::error_code(Errc::timed_out));
        CHECK(sys(ETIMEDOUT) == std::errc::timed_out);
    }
}

TEST_CASE("the resolver's error category", "[errors]") {
    sockit_test::FdLeakCheck leaks;
    const std::error_category& cat = sockit::resolver_category();
    CHECK(std::string(cat.name()) == "resolver");
    CHECK(cat.message(EAI_NONAME) == ::gai_strerror(EAI_NONAME));
    CHECK(cat.message(EAI_AGAIN) == ::gai_strerror(EAI_AGAIN));
    CHECK(&cat == &sockit::resolver_category());
    CHECK(cat != sockit::sockit_category());
    CHECK(cat != std::generic_category());
    CHECK(std::error_code(EAI_NONAME, cat) != std::error_code(EAI_NONAME, std::generic_category()));
}
