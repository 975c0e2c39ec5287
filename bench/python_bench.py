# SPDX-License-Identifier: MIT
"""The benchmark's scenarios written with Python's socket module, run as a subprocess
by bench.cpp. The server side runs in a forked process (threads would share the GIL).
Prints one JSON object: seconds, operations, lost, latency_median_ns, latency_p99_ns."""

import json
import os
import socket
import sys
import time

LOOPBACK = "127.0.0.1"


def serve(child):
    """Forks; runs child() in the child process and exits it. Returns the child's pid."""
    pid = os.fork()
    if pid == 0:
        try:
            child()
        finally:
            os._exit(0)
    return pid


def read_full(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else 0


def tcp_pingpong(iterations, message):
    listener = socket.create_server((LOOPBACK, 0), backlog=16)
    port = listener.getsockname()[1]

    def server():
        conn, _ = listener.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while True:
            data = read_full(conn, message)
            if data is None:
                return
            conn.sendall(data)

    pid = serve(server)
    listener.close()
    client = socket.create_connection((LOOPBACK, port))
    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    payload = b"x" * message
    latencies = []
    start = time.perf_counter()
    for _ in range(iterations):
        t0 = time.perf_counter_ns()
        client.sendall(payload)
        read_full(client, message)
        latencies.append(time.perf_counter_ns() - t0)
    seconds = time.perf_counter() - start
    client.close()
    os.waitpid(pid, 0)
    return dict(seconds=seconds, operations=iterations, lost=0,
                latency_median_ns=percentile(latencies, 0.5), latency_p99_ns=percentile(latencies, 0.99))


def tcp_bulk(total, write):
    listener = socket.create_server((LOOPBACK, 0), backlog=16)
    port = listener.getsockname()[1]

    def server():
        conn, _ = listener.accept()
        while conn.recv(256 * 1024):
            pass
        conn.close()

    pid = serve(server)
    listener.close()
    client = socket.create_connection((LOOPBACK, port))
    payload = b"b" * write
    start = time.perf_counter()
    sent = 0
    while sent < total:
        client.sendall(payload)
        sent += write
    client.shutdown(socket.SHUT_WR)
    client.recv(1)
    seconds = time.perf_counter() - start
    client.close()
    os.waitpid(pid, 0)
    return dict(seconds=seconds, operations=total, lost=0)


def udp_pingpong(iterations, message):
    server_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server_sock.bind((LOOPBACK, 0))
    addr = server_sock.getsockname()

    def server():
        while True:
            data, sender = server_sock.recvfrom(65536)
            if not data:
                return
            server_sock.sendto(data, sender)

    pid = serve(server)
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    payload = b"u" * message
    latencies = []
    start = time.perf_counter()
    for _ in range(iterations):
        t0 = time.perf_counter_ns()
        client.sendto(payload, addr)
        client.recvfrom(65536)
        latencies.append(time.perf_counter_ns() - t0)
    seconds = time.perf_counter() - start
    client.sendto(b"", addr)
    os.waitpid(pid, 0)
    return dict(seconds=seconds, operations=iterations, lost=0,
                latency_median_ns=percentile(latencies, 0.5), latency_p99_ns=percentile(latencies, 0.99))


def udp_oneway(count, message, receive_buffer):
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if receive_buffer:
        receiver.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    receiver.bind((LOOPBACK, 0))
    addr = receiver.getsockname()

    def sender():
        receiver.close()  # the forked copy; only the parent receives
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        payload = b"o" * message
        for _ in range(count):
            s.sendto(payload, addr)
        s.setblocking(True)
        # Repeat the end marker until the receiver stops (then its socket is gone).
        s.settimeout(0.005)
        s.connect(addr)
        for _ in range(2000):
            try:
                s.send(b"E")
                s.recv(1)
            except ConnectionRefusedError:
                return
            except socket.timeout:
                pass

    pid = serve(sender)
    received = 0
    first = last = 0.0
    while True:
        data = receiver.recv(2048)
        if len(data) == 1:
            break
        received += 1
        last = time.perf_counter()
        if received == 1:
            first = last
    receiver.close()
    os.waitpid(pid, 0)
    return dict(seconds=max(last - first, 1e-9), operations=received, lost=max(0, count - received))


def connect_rate(iterations):
    listener = socket.create_server((LOOPBACK, 0), backlog=socket.SOMAXCONN)
    port = listener.getsockname()[1]

    def server():
        for _ in range(iterations):
            conn, _ = listener.accept()
            conn.close()

    pid = serve(server)
    listener.close()
    linger = (1).to_bytes(4, sys.byteorder) + (0).to_bytes(4, sys.byteorder)
    start = time.perf_counter()
    for _ in range(iterations):
        s = socket.create_connection((LOOPBACK, port))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
        s.close()
    seconds = time.perf_counter() - start
    os.waitpid(pid, 0)
    return dict(seconds=seconds, operations=iterations, lost=0)


def main(argv):
    scenario, args = argv[1], [int(a) for a in argv[2:]]
    table = {
        "tcp_pingpong": tcp_pingpong,
        "tcp_bulk": tcp_bulk,
        "udp_pingpong": udp_pingpong,
        "udp_oneway": udp_oneway,
        "connect": connect_rate,
    }
    print(json.dumps(table[scenario](*args)))


if __name__ == "__main__":
    main(sys.argv)
