// SPDX-License-Identifier: MIT
// Unix-domain sockets: addresses, stream server and client, stale socket files, datagrams, socket_pair.
#include "support.hpp"

#include <atomic>
#include <cstdio>
#include <exception>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <type_traits>
#include <unistd.h>

using namespace std::chrono_literals;
using sockit::Errc;
using sockit::UnixAddress;

namespace {

/// A fresh directory under /tmp, removed with what is left in it.
class TempDir {
public:
    TempDir() {
        char name[] = "/tmp/sockit-test-XXXXXX";
        REQUIRE(::mkdtemp(name) != nullptr);
        path_ = name;
    }
    ~TempDir() { std::system(("rm -rf '" + path_ + "'").c_str()); }
    std::string file(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

bool exists(const std::string& path) {
    struct ::stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

/// Runs `check` in a forked child that cannot open one more descriptor (RLIMIT_NOFILE is
/// the lowest free descriptor number); returns its exit status (0: `check` returned true).
template <class Check>
int with_no_descriptor_left(Check check) {
    ::pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        int lowest = ::dup(0);
        if (lowest < 0) ::_exit(2);
        ::close(lowest);
        ::rlimit limit{};
        ::getrlimit(RLIMIT_NOFILE, &limit);
        limit.rlim_cur = static_cast<::rlim_t>(lowest);
        if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) ::_exit(3);
        ::_exit(check() ? 0 : 1);
    }
    int status = 0;
    while (::waitpid(child, &status, 0) < 0) REQUIRE(errno == EINTR);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/// Raises the descriptor limit again (in `with_no_descriptor_left`'s child): UndefinedBehavior-
/// Sanitizer checks a thrown object's type with a pipe, so an exception is looked at only after.
void lift_descriptor_limit() {
    ::rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
}

/// An abstract name nobody else uses.
std::string unique_name(const char* what) {
    static std::atomic<int> counter{0};
    return std::string("sockit-test-") + what + "-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

} // namespace

TEST_CASE("UnixAddress holds a path or an abstract name, printable", "[unix][address]") {
    UnixAddress file("/tmp/x.sock");
    CHECK(file.is_path());
    CHECK(file.path() == "/tmp/x.sock");
    CHECK(file.to_string() == "/tmp/x.sock");
    auto hidden = UnixAddress::abstract("svc");
    CHECK(hidden.is_abstract());
    CHECK(hidden.path() == "svc");
    CHECK(hidden.to_string() == "@svc");
    CHECK(UnixAddress().to_string() == "(unnamed)");
    CHECK(UnixAddress("/a") == UnixAddress("/a"));
    CHECK(UnixAddress("/a") != UnixAddress::abstract("/a"));
    std::ostringstream os;
    os << file;
    CHECK(os.str() == "/tmp/x.sock");
}

TEST_CASE("UnixAddress rejects a path longer than sun_path with a clear error", "[unix][address][errors]") {
    std::string longest(UnixAddress::max_path_size, 'p');
    CHECK(UnixAddress(longest).path() == longest);
    std::string too_long = "/" + std::string(UnixAddress::max_path_size, 'p');
    try {
        UnixAddress a(too_long);
        FAIL("a path of " << too_long.size() << " bytes was accepted");
    } catch (const sockit::AddressError& e) {
        CHECK(e.code() == std::errc::filename_too_long);
        CHECK_THAT(e.what(), sockit_test::contains("unix address '/ppp"));
        CHECK_THAT(e.what(), sockit_test::contains("(" + std::to_string(too_long.size()) + " bytes; at most " +
                                                   std::to_string(UnixAddress::max_path_size) + " fit in sun_path)"));
    }
    std::error_code ec;
    UnixAddress::from_path(too_long, ec);
    CHECK(ec == std::errc::filename_too_long);
    CHECK_THROWS_WITH(UnixAddress(""), sockit_test::contains("(empty)"));
    CHECK_THROWS_WITH(UnixAddress(std::string("a\0b", 3)), sockit_test::contains("contains a NUL byte"));
    CHECK_THROWS_AS(UnixAddress::abstract(std::string(UnixAddress::max_path_size + 1, 'a')), sockit::AddressError);
}

TEST_CASE("UnixServer and UnixClient talk over a socket file", "[unix][stream]") {
    sockit_test::FdLeakCheck fds;
    TempDir dir;
    std::string path = dir.file("echo.sock");
    {
        sockit::UnixServer server(path);
        CHECK(exists(path));
        CHECK(server.local_address() == UnixAddress(path));
        server.set_timeout(5s); // the peer thread ends even if the client never comes
        // The peer thread only records what it saw (Catch2's assertions are for the main thread).
        bool from_unnamed = false;
        std::string line;
        std::exception_ptr peer_error;
        sockit_test::JoinedThread peer([&] {
            try {
                auto [conn, from] = server.accept();
                from_unnamed = from.is_unnamed();
                conn.set_timeout(5s);
                line = conn.recv_until("\n", 100);
                conn.send_all("echo: " + line);
            } catch (...) {
                peer_error = std::current_exception();
            }
        });
        sockit::UnixClient client(path, 5s);
        CHECK(client.peer_address().path() == path);
        client.set_timeout(5s);
        client.send_all("hello\n");
        CHECK(client.recv_until("\n", 100) == "echo: hello\n");
        peer.join();
        if (peer_error) std::rethrow_exception(peer_error);
        CHECK(from_unnamed);
        CHECK(line == "hello\n");
        server.close();
        CHECK_FALSE(exists(path)); // unlink_on_close
    }
    SECTION("unlink_on_close off leaves the file") {
        sockit::UnixBindOptions keep;
        keep.unlink_on_close = false;
        { sockit::UnixServer server(path, keep); }
        CHECK(exists(path));
    }
}

TEST_CASE("A stale socket file is replaced, a live one is AddressInUse", "[unix][stream][errors]") {
    sockit_test::FdLeakCheck fds;
    TempDir dir;
    std::string path = dir.file("svc.sock");
    sockit::UnixBindOptions keep;
    keep.unlink_on_close = false;
    { sockit::UnixServer dead(path, keep); } // as if the process had died: the file stays
    REQUIRE(exists(path));
    CHECK_THROWS_AS(sockit::UnixClient(path), sockit::ConnectionRefused);

    sockit::UnixServer server(path); // replaces the stale file
    {
        sockit::UnixClient client(path, 5s);
        auto accepted = server.accept();
        CHECK(accepted.first.is_open());
    }
    try {
        sockit::UnixServer second(path);
        FAIL("a second server took a live socket file");
    } catch (const sockit::AddressInUse& e) {
        CHECK_THAT(e.what(), sockit_test::contains("bind " + path));
    }
    sockit::UnixBindOptions no_replace;
    no_replace.replace_stale = false;
    server.close();
    { sockit::UnixServer dead(path, keep); }
    CHECK_THROWS_AS(sockit::UnixServer(path, no_replace), sockit::AddressInUse);

    SECTION("a file that is not a socket is never removed") {
        std::string plain = dir.file("plain");
        std::ofstream(plain) << "data";
        CHECK_THROWS_AS(sockit::UnixServer(plain), sockit::AddressInUse);
        std::ifstream in(plain);
        std::string content;
        in >> content;
        CHECK(content == "data");
    }
}

TEST_CASE("A server does not remove a socket file that is no longer its own", "[unix][stream]") {
    sockit_test::FdLeakCheck fds;
    TempDir dir;
    std::string path = dir.file("moved.sock");
    sockit::UnixServer first(path);
    REQUIRE(::unlink(path.c_str()) == 0);
    sockit::UnixServer second(path); // a new server at the same path
    first.close();
    CHECK(exists(path));
    sockit::UnixClient client(path, 5s);
    CHECK(second.accept().first.is_open());
}

TEST_CASE("UnixClient reports a missing file and a timeout, naming the path", "[unix][stream][errors]") {
    sockit_test::FdLeakCheck fds;
    TempDir dir;
    std::string path = dir.file("none.sock");
    try {
        sockit::UnixClient client(path);
        FAIL("connected to a missing file");
    } catch (const sockit::Error& e) {
        CHECK(e.code() == std::errc::no_such_file_or_directory);
        CHECK_THAT(e.what(), sockit_test::contains("connect " + path));
    }
    std::error_code ec;
    auto client = sockit::UnixClient::open(UnixAddress(path), std::nullopt, ec);
    CHECK(ec == std::errc::no_such_file_or_directory);
    CHECK_FALSE(client.is_open());

    SECTION("a full backlog times out") {
        sockit::UnixBindOptions tiny;
        tiny.backlog = 0;
        sockit::UnixServer server(path, tiny);
        std::vector<sockit::UnixClient> queued;
        std::error_code qec;
        auto took = sockit_test::elapsed([&] {
            for (int i = 0; i < 8 && !qec; ++i) {
                auto c = sockit::UnixClient::open(UnixAddress(path), std::chrono::milliseconds(200), qec);
                if (!qec) queued.push_back(std::move(c));
            }
        });
        CHECK(qec == std::errc::timed_out);
        CHECK_THROWS_AS(sockit::UnixClient(path, 100ms), sockit::TimeoutError);
        CHECK(took < 3s);
    }
}

TEST_CASE("Abstract names need no file", "[unix][stream][abstract]") {
    sockit_test::FdLeakCheck fds;
    auto name = UnixAddress::abstract(unique_name("abstract"));
    sockit::UnixServer server(name);
    CHECK(server.local_address() == name);
    sockit::UnixClient client(name, 5s);
    auto [conn, from] = server.accept();
    client.send_all("ping");
    char buf[4];
    conn.set_timeout(5s);
    conn.recv_exactly(buf, 4);
    CHECK(std::string(buf, 4) == "ping");
    CHECK(conn.local_address().to_string() == "@" + name.path());
    CHECK_THROWS_AS(sockit::UnixServer(name), sockit::AddressInUse);
}

TEST_CASE("socket_pair gives two connected streams with every stream operation", "[unix][stream][pair]") {
    sockit_test::FdLeakCheck fds;
    auto pair = sockit::stream_pair(); // not a structured binding: a lambda below uses it
    sockit::UnixStream& a = pair.first;
    sockit::UnixStream& b = pair.second;
    std::error_code ec;
    CHECK(sockit::detail::ops::close_on_exec(a.native_handle(), ec));
    a.send_all({sockit::buffer("head:"), sockit::buffer("body\n")});
    b.set_timeout(5s);
    CHECK(b.recv_until("\n", 100) == "head:body\n");
    b.send_all("xyz");
    char buf[3];
    a.recv_exactly(buf, 3);
    CHECK(std::string(buf, 3) == "xyz");
    b.set_timeout(100ms);
    auto took = sockit_test::elapsed([&] { CHECK_THROWS_AS(b.recv(buf, 3), sockit::TimeoutError); });
    CHECK(took >= 90ms);
    CHECK(took < 2s);
    a.shutdown(sockit::Shutdown::write);
    CHECK(b.recv(buf, 3) == 0);
}

TEST_CASE("UnixDatagram keeps message boundaries and names its sender", "[unix][datagram]") {
    sockit_test::FdLeakCheck fds;
    TempDir dir;
    UnixAddress server_addr(dir.file("server.sock"));
    UnixAddress client_addr(dir.file("client.sock"));
    sockit::UnixDatagram server(server_addr);
    sockit::UnixDatagram client(client_addr);
    server.set_timeout(5s);
    client.set_timeout(5s);
    client.send_to("one", server_addr);
    client.send_to("two!", server_addr);
    char buf[16];
    auto d = server.recv_from(buf, sizeof buf);
    CHECK(std::string(buf, d.size) == "one");
    CHECK(d.sender == client_addr);
    d = server.recv_from(buf, sizeof buf);
    CHECK(std::string(buf, d.size) == "two!");

    SECTION("truncation is an error") {
        client.send_to("0123456789", server_addr);
        std::error_code ec;
        auto t = server.recv_from(buf, 4, ec);
        CHECK(ec == Errc::datagram_truncated);
        CHECK(t.size == 4);
        CHECK(std::string(buf, 4) == "0123");
    }
    SECTION("connected") {
        client.connect(server_addr);
        CHECK(client.peer_address() == server_addr);
        client.send("hi", 2);
        CHECK(server.recv(buf, sizeof buf) == 2);
        server.close();
        // Nobody is bound there any more: the file is gone.
        std::error_code ec;
        client.send_to("x", 1, server_addr, ec);
        CHECK(ec);
    }
    SECTION("an unbound sender is unnamed") {
        auto anonymous = sockit::UnixDatagram::open();
        CHECK(anonymous.local_address().is_unnamed());
        anonymous.send_to("anon", server_addr);
        d = server.recv_from(buf, sizeof buf);
        CHECK(std::string(buf, d.size) == "anon");
        CHECK(d.sender.is_unnamed());
    }
    SECTION("datagram_pair") {
        auto [x, y] = sockit::datagram_pair();
        x.send("ab", 2);
        x.send("c", 1);
        y.set_timeout(5s);
        CHECK(y.recv(buf, sizeof buf) == 2);
        CHECK(y.recv(buf, sizeof buf) == 1);
    }
}

TEST_CASE("A Unix-domain stream knows its peer's credentials", "[unix][stream][credentials]") {
    sockit_test::FdLeakCheck fds;
    auto name = UnixAddress::abstract(unique_name("creds"));
    sockit::UnixServer server(name);
    sockit::UnixClient client(name, 5s);
    auto accepted = server.accept();
    auto peer = accepted.first.peer_credentials();
#ifdef __linux__
    CHECK(peer.pid == static_cast<long>(::getpid()));
#endif
    CHECK(peer.uid == static_cast<unsigned long>(::geteuid()));
    CHECK(peer.gid == static_cast<unsigned long>(::getegid()));
    CHECK(client.peer_credentials().uid == peer.uid);
    sockit::UnixStream none;
    std::error_code ec;
    none.peer_credentials(ec);
    CHECK(ec == std::errc::bad_file_descriptor);
    CHECK_THROWS_WITH(none.peer_credentials(), sockit_test::contains("peer_credentials"));
}

TEST_CASE("A released or moved-from Unix socket leaves the socket file to its new owner", "[unix][file]") {
    sockit_test::FdLeakCheck fds;
    TempDir dir;
    std::string path = dir.file("owned.sock");

    SECTION("UnixServer::release hands over the listener and its file") {
        sockit::Descriptor listener;
        {
            sockit::UnixServer server(path);
            listener = sockit::Descriptor(server.release());
            CHECK_FALSE(server.is_open());
            server.close(); // owns nothing: removes nothing
            CHECK(exists(path));
        } // nor does the destructor
        CHECK(exists(path));
        sockit::UnixClient client(path, 5s); // the released listener still answers
        CHECK(client.is_open());
    }
    SECTION("UnixDatagram::release hands over the socket and its file") {
        sockit::Descriptor socket;
        {
            sockit::UnixDatagram bound{UnixAddress(path)};
            socket = sockit::Descriptor(bound.release());
        }
        CHECK(exists(path));
    }
    SECTION("a moved UnixServer removes its file once, when its last owner closes") {
        sockit::UnixServer first(path);
        sockit::UnixServer second(std::move(first));
        { sockit::UnixServer gone(std::move(first)); } // NOLINT(bugprone-use-after-move): owns nothing
        first.close();
        CHECK(exists(path));
        sockit::UnixServer third;
        third = std::move(second);
        second.close();
        CHECK(exists(path));
        sockit::UnixClient client(path, 5s);
        CHECK(third.accept().first.is_open());
        std::string other = dir.file("other.sock");
        sockit::UnixServer replaced(other);
        replaced = std::move(third); // closes `other` (its file goes) and takes over `path`
        CHECK_FALSE(exists(other));
        CHECK(exists(path));
        replaced.close();
        CHECK_FALSE(exists(path));
    }
    SECTION("a moved UnixDatagram removes its file once, when its last owner closes") {
        sockit::UnixDatagram first{UnixAddress(path)};
        sockit::UnixDatagram second(std::move(first));
        first.close(); // NOLINT(bugprone-use-after-move): owns nothing
        CHECK(exists(path));
        std::string other = dir.file("other.sock");
        sockit::UnixDatagram replaced{UnixAddress(other)};
        replaced = std::move(second);
        CHECK_FALSE(exists(other));
        second.close();
        CHECK(exists(path));
        replaced.close();
        CHECK_FALSE(exists(path));
    }
}

static_assert(std::is_nothrow_default_constructible<sockit::UnixDatagram>::value, "owns nothing, opens nothing");
static_assert(std::is_nothrow_default_constructible<sockit::UnixServer>::value, "owns nothing, opens nothing");
static_assert(std::is_nothrow_default_constructible<sockit::UnixStream>::value, "owns nothing, opens nothing");

TEST_CASE("A default-constructed Unix socket owns nothing, and using it is a clear error", "[unix][empty]") {
    sockit_test::FdLeakCheck fds;
    auto name = UnixAddress::abstract(unique_name("empty"));
    char buf[4];
    std::error_code ec;

    sockit::UnixDatagram datagram;
    CHECK_FALSE(datagram.is_open());
    CHECK(datagram.native_handle() == -1);
    datagram.send_to("x", 1, name, ec);
    CHECK(ec == std::errc::bad_file_descriptor);
    CHECK_THROWS_WITH(datagram.send_to("x", name), sockit_test::contains("send_to @" + name.path()));
    datagram.recv_from(buf, sizeof buf, ec);
    CHECK(ec == std::errc::bad_file_descriptor);
    datagram.close(); // closing nothing is no error

    sockit::UnixServer server;
    CHECK_FALSE(server.is_open());
    server.accept(ec);
    CHECK(ec == std::errc::bad_file_descriptor);
    CHECK_THROWS_WITH(server.accept(), sockit_test::contains("accept: "));
    server.local_address(ec);
    CHECK(ec == std::errc::bad_file_descriptor);

    sockit::UnixStream stream;
    CHECK_FALSE(stream.is_open());
    stream.recv(buf, sizeof buf, ec);
    CHECK(ec == std::errc::bad_file_descriptor);
    CHECK_THROWS_AS(stream.send_all("x"), sockit::Error);
    CHECK(stream.release() == -1);
}

TEST_CASE("UnixServer::open listens, or sets the error and owns nothing", "[unix][stream][open]") {
    sockit_test::FdLeakCheck fds;
    TempDir dir;
    std::string path = dir.file("open.sock");
    std::error_code ec;

    auto server = sockit::UnixServer::open(path, {}, ec);
    REQUIRE_FALSE(ec);
    CHECK(server.is_open());
    CHECK(exists(path));
    {
        sockit::UnixClient client(path, 5s);
        CHECK(server.accept().first.is_open());
    }

    SECTION("a live server's name is address_in_use; its file stays") {
        auto second = sockit::UnixServer::open(UnixAddress(path), {}, ec);
        CHECK(ec == std::errc::address_in_use);
        CHECK_FALSE(second.is_open());
        CHECK(exists(path));
    }
    SECTION("a path too long for sun_path") {
        auto none = sockit::UnixServer::open("/" + std::string(UnixAddress::max_path_size, 'p'), {}, ec);
        CHECK(ec == std::errc::filename_too_long);
        CHECK_FALSE(none.is_open());
    }
    SECTION("an empty path") {
        auto none = sockit::UnixServer::open(std::string_view(), {}, ec);
        CHECK(ec == std::errc::invalid_argument);
        CHECK_FALSE(none.is_open());
    }
    SECTION("a file in a missing directory") {
        auto none = sockit::UnixServer::open(UnixAddress(dir.file("missing/open.sock")), {}, ec);
        CHECK(ec == std::errc::no_such_file_or_directory);
        CHECK_FALSE(none.is_open());
        CHECK_THROWS_WITH(sockit::UnixServer(dir.file("missing/open.sock")),
                          sockit_test::contains("bind " + dir.file("missing/open.sock")));
    }
}

TEST_CASE("UnixClient::open connects, or sets the error and owns nothing", "[unix][stream][open]") {
    sockit_test::FdLeakCheck fds;
    TempDir dir;
    std::string path = dir.file("server.sock");
    sockit::UnixServer server(path);
    std::error_code ec;

    auto client = sockit::UnixClient::open(path, 5s, ec);
    REQUIRE_FALSE(ec);
    CHECK(client.is_open());
    CHECK(client.peer_address() == UnixAddress(path));
    CHECK(server.accept().first.is_open());

    SECTION("a path too long for sun_path") {
        auto none = sockit::UnixClient::open("/" + std::string(UnixAddress::max_path_size, 'p'), 5s, ec);
        CHECK(ec == std::errc::filename_too_long);
        CHECK_FALSE(none.is_open());
    }
    SECTION("a file in a missing directory") {
        auto none = sockit::UnixClient::open(UnixAddress(dir.file("missing/server.sock")), std::nullopt, ec);
        CHECK(ec == std::errc::no_such_file_or_directory);
        CHECK_FALSE(none.is_open());
    }
    SECTION("a stale socket file") {
        server.close();
        sockit::UnixBindOptions keep;
        keep.unlink_on_close = false;
        { sockit::UnixServer dead(path, keep); }
        auto none = sockit::UnixClient::open(path, 5s, ec);
        CHECK(ec == std::errc::connection_refused);
        CHECK_FALSE(none.is_open());
    }
    SECTION("a negative timeout") {
        auto none = sockit::UnixClient::open(path, -1s, ec);
        CHECK(ec == Errc::invalid_argument);
        CHECK_FALSE(none.is_open());
    }
}

TEST_CASE("UnixDatagram::open makes an unbound or a bound socket, or sets the error", "[unix][datagram][open]") {
    sockit_test::FdLeakCheck fds;
    TempDir dir;
    UnixAddress name(dir.file("dgram.sock"));
    std::error_code ec;

    auto bound = sockit::UnixDatagram::open(name, {}, ec);
    REQUIRE_FALSE(ec);
    CHECK(bound.is_open());
    CHECK(bound.local_address() == name);
    CHECK(exists(name.path()));
    bound.set_timeout(5s);

    auto unbound = sockit::UnixDatagram::open(ec);
    REQUIRE_FALSE(ec);
    CHECK(unbound.is_open());
    CHECK(unbound.local_address().is_unnamed());
    char buf[8];

    SECTION("an unbound socket sends, and binds later") {
        unbound.send_to("anon", name);
        auto d = bound.recv_from(buf, sizeof buf);
        CHECK(std::string(buf, d.size) == "anon");
        CHECK(d.sender.is_unnamed());
        UnixAddress later(dir.file("later.sock"));
        unbound.bind(later);
        CHECK(unbound.local_address() == later);
        unbound.send_to("named", name);
        d = bound.recv_from(buf, sizeof buf);
        CHECK(std::string(buf, d.size) == "named");
        CHECK(d.sender == later);
        unbound.close();
        CHECK_FALSE(exists(later.path())); // bound after open: removed on close all the same
    }
    SECTION("a name already bound is address_in_use; its file stays") {
        auto second = sockit::UnixDatagram::open(name, {}, ec);
        CHECK(ec == std::errc::address_in_use);
        CHECK_FALSE(second.is_open());
        CHECK(exists(name.path()));
    }
    SECTION("a file in a missing directory") {
        auto none = sockit::UnixDatagram::open(UnixAddress(dir.file("missing/dgram.sock")), {}, ec);
        CHECK(ec == std::errc::no_such_file_or_directory);
        CHECK_FALSE(none.is_open());
    }
    SECTION("the throwing form") {
        auto thrown = sockit::UnixDatagram::open();
        CHECK(thrown.is_open());
    }
}

TEST_CASE("UnixClient keeps the timeout it connected with", "[unix][stream][timeout]") {
    sockit_test::FdLeakCheck fds;
    auto name = UnixAddress::abstract(unique_name("keeps-timeout"));
    sockit::UnixServer server(name);

    sockit::UnixClient client(name, 200ms);
    REQUIRE(client.timeout() == std::chrono::nanoseconds(200ms)); // else the recv below would block
    auto accepted = server.accept();                              // the peer sends nothing
    char buf[4];
    auto took = sockit_test::elapsed([&] { CHECK_THROWS_AS(client.recv(buf, sizeof buf), sockit::TimeoutError); });
    CHECK(took >= 190ms);
    CHECK(took < 3s);

    std::error_code ec;
    auto opened = sockit::UnixClient::open(name, 150ms, ec);
    REQUIRE_FALSE(ec);
    REQUIRE(opened.timeout() == std::chrono::nanoseconds(150ms));
    auto second = server.accept();
    opened.recv(buf, sizeof buf, ec);
    CHECK(ec == std::errc::timed_out);

    sockit::UnixClient blocking(name);
    CHECK_FALSE(blocking.timeout().has_value());
    CHECK(blocking.blocking());
}

TEST_CASE("stream_pair and datagram_pair have error_code forms", "[unix][pair][limits]") {
    sockit_test::FdLeakCheck fds;
    std::error_code ec;
    char buf[4];
    {
        auto streams = sockit::stream_pair(ec);
        REQUIRE_FALSE(ec);
        REQUIRE(streams.first.is_open());
        streams.first.send_all("ab");
        streams.second.set_timeout(5s);
        streams.second.recv_exactly(buf, 2);
        CHECK(std::string(buf, 2) == "ab");

        auto datagrams = sockit::datagram_pair(ec);
        REQUIRE_FALSE(ec);
        datagrams.first.send("c", 1);
        datagrams.second.set_timeout(5s);
        CHECK(datagrams.second.recv(buf, sizeof buf) == 1);
    }
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif
    { auto [a, b] = sockit::socket_pair(); } // the former name still works
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

    SECTION("out of descriptors: two objects that own nothing, and the error") {
        CHECK(with_no_descriptor_left([] {
                  std::error_code e;
                  auto streams = sockit::stream_pair(e);
                  if (e != std::errc::too_many_files_open || streams.first.is_open() || streams.second.is_open())
                      return false;
                  auto datagrams = sockit::datagram_pair(e);
                  return e == std::errc::too_many_files_open && !datagrams.first.is_open() &&
                         !datagrams.second.is_open();
              }) == 0);
        CHECK(with_no_descriptor_left([] {
                  std::exception_ptr error;
                  try {
                      sockit::stream_pair();
                  } catch (...) {
                      error = std::current_exception();
                  }
                  lift_descriptor_limit(); // before the exception is looked at
                  if (!error) return false;
                  try {
                      std::rethrow_exception(error);
                  } catch (const sockit::Error& e) {
                      return e.code() == std::errc::too_many_files_open &&
                             std::string(e.what()).rfind("socketpair: ", 0) == 0;
                  }
                  return false;
              }) == 0);
    }
}

TEST_CASE("Descriptor owns one descriptor, or nothing", "[unix][descriptor]") {
    sockit_test::FdLeakCheck fds;
    sockit::Descriptor none;
    CHECK_FALSE(none.is_open());
    CHECK_FALSE(none);
    CHECK(none.native_handle() == -1);
    none.close(); // closing nothing does nothing

    int pipe_fds[2];
    REQUIRE(::pipe(pipe_fds) == 0);
    sockit::Descriptor read_end(pipe_fds[0]);
    sockit::Descriptor write_end(pipe_fds[1]);
    CHECK(read_end.is_open());
    CHECK(read_end.native_handle() == pipe_fds[0]);
    sockit::Descriptor moved(std::move(read_end));
    CHECK_FALSE(read_end.is_open()); // NOLINT(bugprone-use-after-move): moved-from owns nothing
    CHECK(moved.native_handle() == pipe_fds[0]);
    int raw = write_end.release();
    CHECK_FALSE(write_end.is_open());
    CHECK(::close(raw) == 0); // released: this code closes it
}
