// SPDX-License-Identifier: MIT
// The small public functions no other test called: the option types' level, name, label,
// resize and valid; Address::hash and native_capacity; UnixAddress::abstract's error_code
// form and set_native_size; make_error_code; the error_code forms of listen and
// set_blocking; the deprecated Descriptor::get.
#include "support.hpp"

#include <cstring>
#include <functional>
#include <string>

#ifndef _WIN32
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#endif

using namespace std::chrono_literals;
using sockit::Address;
using sockit_test::contains;

namespace {
/// The error of a call on a socket object that owns none: EBADF, or Winsock's WSAENOTSOCK.
bool no_socket(const std::error_code& ec) {
#ifdef _WIN32
    return ec == std::errc::not_a_socket;
#else
    return ec == std::errc::bad_file_descriptor;
#endif
}
} // namespace

TEST_CASE("Option types name their level, name and label, as the system spells them", "[options]") {
    CHECK(sockit::NoDelay::level() == IPPROTO_TCP);
    CHECK(sockit::NoDelay::name() == TCP_NODELAY);
    CHECK(std::string(sockit::NoDelay::label()) == "TCP_NODELAY");
    CHECK(sockit::ReceiveBufferSize::level() == SOL_SOCKET);
    CHECK(sockit::ReceiveBufferSize::name() == SO_RCVBUF);
    CHECK(std::string(sockit::ReceiveBufferSize::label()) == "SO_RCVBUF");
    CHECK(sockit::Linger::level() == SOL_SOCKET);
    CHECK(sockit::Linger::name() == SO_LINGER);
    CHECK(std::string(sockit::Linger::label()) == "SO_LINGER");
    CHECK(sockit::MulticastInterface::level() == IPPROTO_IP);
    CHECK(sockit::MulticastInterface::name() == IP_MULTICAST_IF);
    CHECK(std::string(sockit::MulticastInterface::label()) == "IP_MULTICAST_IF");

    // The label is what a failed set_option names.
    sockit::Socket closed;
    try {
        closed.set_option(sockit::Linger(true, 0s));
        FAIL("set an option on a socket that owns nothing");
    } catch (const sockit::Error& e) {
        CHECK_THAT(e.what(), contains("setsockopt SO_LINGER"));
    }
}

TEST_CASE("A group membership is valid only when its addresses fit together", "[options][multicast]") {
    const Address group("239.255.77.3", 0), lo("127.0.0.1", 0), lo6("::1", 0), group6("ff02::5ec:2", 0);
    const sockit::JoinGroup join(group, lo);
    CHECK(join.valid());
    CHECK(join.level() == IPPROTO_IP);
    CHECK(join.name() == IP_ADD_MEMBERSHIP);
    const sockit::LeaveGroup leave(group, lo);
    CHECK(leave.valid());
    CHECK(leave.name() == IP_DROP_MEMBERSHIP);
    CHECK(std::string(sockit::JoinGroup::label()) == "IP_ADD_MEMBERSHIP/IPV6_JOIN_GROUP");
    CHECK(std::string(sockit::LeaveGroup::label()) == "IP_DROP_MEMBERSHIP/IPV6_LEAVE_GROUP");

    const sockit::JoinGroup mixed(group, lo6); // an IPv4 group on an IPv6 interface address
    CHECK_FALSE(mixed.valid());
    CHECK(mixed.name() == -1); // which the system refuses
    const sockit::JoinGroup v6(group6, 0u);
    CHECK(v6.valid());
    CHECK(v6.level() == IPPROTO_IPV6);
    CHECK(v6.name() == IPV6_JOIN_GROUP);
    CHECK_FALSE(sockit::JoinGroup(group6, lo).valid()); // by address: IPv4 only
    CHECK_FALSE(sockit::LeaveGroup(Address(), 0u).valid());

    // An invalid one set on a socket is an error, not a silent no-op.
    sockit::UdpSocket s("127.0.0.1", 0);
    std::error_code ec;
    s.set_option(mixed, ec);
    CHECK(ec);
}

TEST_CASE("A boolean option read back as one byte keeps its value", "[options]") {
    // Some systems return a one-byte boolean from getsockopt, which leaves the other bytes of
    // the int as they were: get_option calls resize(1), which must look at that byte only.
    const unsigned char false_byte[sizeof(int)] = {0, 0x7f, 0x7f, 0x7f};
    sockit::NoDelay off;
    std::memcpy(off.data(), false_byte, sizeof false_byte);
    off.resize(1);
    CHECK_FALSE(off.value());
    const unsigned char true_byte[sizeof(int)] = {1, 0, 0, 0};
    sockit::NoDelay on;
    std::memcpy(on.data(), true_byte, sizeof true_byte);
    on.resize(1);
    CHECK(on.value());
    sockit::NoDelay whole(true);
    whole.resize(sizeof(int)); // the usual size: nothing changes
    CHECK(whole.value());
    sockit::ReceiveBufferSize size(4096);
    size.resize(sizeof(int));
    CHECK(size.value() == 4096);
}

TEST_CASE("Address::hash agrees with == and with std::hash", "[address]") {
    const Address a("127.0.0.1", 80), same("127.0.0.1", 80), other_port("127.0.0.1", 81), other_host("127.0.0.2", 80);
    CHECK(a.hash() == same.hash());
    CHECK(a.hash() == std::hash<Address>{}(a));
    CHECK(a.hash() != other_port.hash());
    CHECK(a.hash() != other_host.hash());
    CHECK(Address("::1", 80).hash() != a.hash());
    CHECK(Address("fe80::1%1", 80).hash() != Address("fe80::1%2", 80).hash()); // the scope counts
}

TEST_CASE("native_capacity holds any address of the family, and set_native_size takes what the system wrote",
          "[address][unix]") {
    CHECK(static_cast<std::size_t>(Address::native_capacity()) >= sizeof(::sockaddr_in6));
    CHECK(static_cast<std::size_t>(Address::native_capacity()) >= sizeof(::sockaddr_in));
#ifndef _WIN32
    CHECK(static_cast<std::size_t>(sockit::UnixAddress::native_capacity()) == sizeof(::sockaddr_un));

    // An address filled in by getsockname, the way sockit's own calls use them.
    sockit_test::FdLeakCheck fds;
    const auto name = sockit::UnixAddress::abstract("sockit-native-size-" + std::to_string(::getpid()));
    sockit::UnixDatagram bound(name);
    sockit::UnixAddress filled;
    ::socklen_t len = sockit::UnixAddress::native_capacity();
    REQUIRE(::getsockname(bound.native_handle(), filled.native(), &len) == 0);
    filled.set_native_size(len);
    CHECK(filled == name);
    CHECK(filled.is_abstract());
    CHECK(filled.path() == name.path());

    char dir[] = "/tmp/sockit-native-XXXXXX";
    REQUIRE(::mkdtemp(dir) != nullptr);
    const std::string path = std::string(dir) + "/s";
    {
        sockit::UnixDatagram file(sockit::UnixAddress{path});
        sockit::UnixAddress from_system;
        len = sockit::UnixAddress::native_capacity();
        REQUIRE(::getsockname(file.native_handle(), from_system.native(), &len) == 0);
        from_system.set_native_size(len); // the trailing NUL is not part of the path
        CHECK(from_system.is_path());
        CHECK(from_system.path() == path);
        CHECK(from_system.native_size() == sockit::UnixAddress(path).native_size());

        sockit::UnixAddress unnamed;
        unnamed.set_native_size(sizeof(sa_family_t)); // the family only: an unnamed socket
        CHECK(unnamed.is_unnamed());
        unnamed.set_native_size(0);
        CHECK(unnamed.is_unnamed());
    }
    ::rmdir(dir);
#endif
}

#ifndef _WIN32
TEST_CASE("UnixAddress::abstract's error_code form", "[unix][address]") {
    std::error_code ec;
    auto good = sockit::UnixAddress::abstract("sockit-abstract", ec);
    CHECK_FALSE(ec);
    CHECK(good.is_abstract());
    CHECK(good.to_string() == "@sockit-abstract");

    auto empty = sockit::UnixAddress::abstract("", ec);
    CHECK(ec == std::errc::invalid_argument);
    CHECK(empty.is_unnamed());

    const std::string longest(sockit::UnixAddress::max_path_size, 'n');
    auto fits = sockit::UnixAddress::abstract(longest, ec);
    CHECK_FALSE(ec);
    CHECK(fits.path() == longest);
    auto too_long = sockit::UnixAddress::abstract(longest + "n", ec);
    CHECK(ec == std::errc::filename_too_long);
    CHECK(too_long.is_unnamed());
    CHECK_THROWS_WITH(sockit::UnixAddress::abstract(longest + "n"), contains("bytes; at most"));
}
#endif

TEST_CASE("make_error_code makes sockit's codes, equivalent to the standard conditions", "[errors]") {
    const std::error_code timed_out = sockit::make_error_code(sockit::Errc::timed_out);
    CHECK(timed_out.category() == sockit::sockit_category());
    CHECK(timed_out.value() == static_cast<int>(sockit::Errc::timed_out));
    CHECK(timed_out.message() == "timed out");
    CHECK(timed_out == std::errc::timed_out);
    const std::error_code truncated = sockit::make_error_code(sockit::Errc::datagram_truncated);
    CHECK(truncated == std::errc::message_size);
    CHECK(truncated != std::errc::timed_out);
    CHECK(sockit::make_error_code(sockit::Errc::invalid_port) == std::errc::invalid_argument);
    // The same function found by argument-dependent lookup, as std::error_code's constructor does.
    const std::error_code by_enum = sockit::Errc::end_of_stream;
    CHECK(by_enum == sockit::make_error_code(sockit::Errc::end_of_stream));
}

TEST_CASE("Socket::listen's error_code form", "[tcp][socket]") {
    sockit_test::FdLeakCheck fds;
    sockit::Socket listener(sockit::Family::v4, sockit::SocketType::stream);
    listener.bind(Address::loopback(sockit::Family::v4));
    std::error_code ec;
    listener.listen(4, ec);
    REQUIRE_FALSE(ec);
    CHECK(listener.get_option<sockit::Listening>().value());
    sockit::TcpClient client("127.0.0.1", listener.local_address().port());
    listener.set_timeout(2s);
    auto accepted = listener.accept();
    CHECK(accepted.second == client.local_address());

    sockit::Socket datagram(sockit::Family::v4, sockit::SocketType::datagram);
    datagram.listen(4, ec); // a datagram socket cannot listen
    CHECK(ec);
    sockit::Socket empty;
    empty.listen(4, ec);
    CHECK(no_socket(ec));
}

TEST_CASE("set_blocking's error_code form", "[socket][timeout]") {
    sockit_test::FdLeakCheck fds;
    auto pair = sockit_test::tcp_pair();
    auto& s = pair.first;
    std::error_code ec;
    s.set_blocking(false, ec);
    REQUIRE_FALSE(ec);
    CHECK_FALSE(s.blocking());
    CHECK(s.timeout() == std::chrono::nanoseconds(0));
    char buf[4];
    s.recv(buf, sizeof buf, ec); // nothing there: would block, at once
    CHECK(ec == std::errc::operation_would_block);
    s.set_blocking(true, ec);
    REQUIRE_FALSE(ec);
    CHECK(s.blocking());
    CHECK_FALSE(s.timeout().has_value());
    pair.second.send_all("abc");
    CHECK(s.recv(buf, sizeof buf, ec) == 3); // blocking again: waits for the data
    CHECK_FALSE(ec);

    sockit::Socket empty;
    empty.set_blocking(false, ec);
    CHECK(no_socket(ec));
    CHECK(empty.blocking()); // unchanged on failure
}

#ifndef _WIN32
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif
TEST_CASE("Descriptor::get, deprecated, is still native_handle", "[unix][fds]") {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    sockit::Descriptor read_end(fds[0]);
    sockit::Descriptor write_end(fds[1]);
    CHECK(read_end.get() == fds[0]);
    CHECK(read_end.get() == read_end.native_handle());
    sockit::Descriptor none;
    CHECK(none.get() == -1);
}
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
#endif
