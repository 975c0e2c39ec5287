# SPDX-License-Identifier: MIT
"""The TLS benchmark's scenarios written with Python's ssl module, run as a subprocess by
tls_bench.cpp: python_tls_bench.py SCENARIO CERT_DIR ARGS... (CERT_DIR holds ca.pem,
server.pem, server.key). The server side runs in a forked process (threads would share
the GIL). Prints "SECONDS OPERATIONS" (operations: round trips, MiB or handshakes)."""

import os
import socket
import ssl
import sys
import time

LOOPBACK = "127.0.0.1"


def contexts(cert_dir):
    client = ssl.create_default_context(cafile=os.path.join(cert_dir, "ca.pem"))
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.minimum_version = ssl.TLSVersion.TLSv1_2
    server.load_cert_chain(os.path.join(cert_dir, "server.pem"), os.path.join(cert_dir, "server.key"))
    return client, server


def serve(child):
    pid = os.fork()
    if pid == 0:
        try:
            child()
        finally:
            os._exit(0)
    return pid


def nodelay(sock):
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def read_full(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def pingpong(cert_dir, iterations, message):
    client_ctx, server_ctx = contexts(cert_dir)
    listener = socket.create_server((LOOPBACK, 0), backlog=16)
    port = listener.getsockname()[1]

    def server():
        conn, _ = listener.accept()
        with server_ctx.wrap_socket(nodelay(conn), server_side=True) as tls:
            while True:
                data = read_full(tls, message)
                if data is None:
                    return
                tls.sendall(data)

    pid = serve(server)
    listener.close()
    tls = client_ctx.wrap_socket(nodelay(socket.create_connection((LOOPBACK, port))), server_hostname=LOOPBACK)
    payload = b"x" * message
    start = time.perf_counter()
    for _ in range(iterations):
        tls.sendall(payload)
        read_full(tls, message)
    seconds = time.perf_counter() - start
    tls.close()
    os.waitpid(pid, 0)
    return seconds, iterations


def bulk(cert_dir, total, write):
    client_ctx, server_ctx = contexts(cert_dir)
    listener = socket.create_server((LOOPBACK, 0), backlog=16)
    port = listener.getsockname()[1]

    def server():
        conn, _ = listener.accept()
        with server_ctx.wrap_socket(nodelay(conn), server_side=True) as tls:
            buf = bytearray(write)
            got = 0
            while got < total:
                n = tls.recv_into(buf)
                if n == 0:
                    return
                got += n
            tls.sendall(b"k")

    pid = serve(server)
    listener.close()
    tls = client_ctx.wrap_socket(nodelay(socket.create_connection((LOOPBACK, port))), server_hostname=LOOPBACK)
    payload = b"x" * write
    start = time.perf_counter()
    sent = 0
    while sent < total:
        tls.sendall(payload)
        sent += write
    read_full(tls, 1)
    seconds = time.perf_counter() - start
    tls.close()
    os.waitpid(pid, 0)
    return seconds, total / (1 << 20)


def handshakes(cert_dir, iterations):
    client_ctx, server_ctx = contexts(cert_dir)
    listener = socket.create_server((LOOPBACK, 0), backlog=128)
    port = listener.getsockname()[1]

    def server():
        for _ in range(iterations):
            conn, _ = listener.accept()
            with server_ctx.wrap_socket(nodelay(conn), server_side=True) as tls:
                read_full(tls, 1)
                tls.unwrap()

    pid = serve(server)
    listener.close()
    start = time.perf_counter()
    for _ in range(iterations):
        tcp = nodelay(socket.create_connection((LOOPBACK, port)))
        with client_ctx.wrap_socket(tcp, server_hostname=LOOPBACK) as tls:
            tls.sendall(b"k")
            tls.unwrap()
    seconds = time.perf_counter() - start
    os.waitpid(pid, 0)
    return seconds, iterations


def main():
    scenario, cert_dir = sys.argv[1], sys.argv[2]
    numbers = [int(a) for a in sys.argv[3:]]
    run = {"tls_pingpong": pingpong, "tls_bulk": bulk, "tls_handshake": handshakes}[scenario]
    seconds, operations = run(cert_dir, *numbers)
    print(f"{seconds:.6f} {operations}")


if __name__ == "__main__":
    main()
