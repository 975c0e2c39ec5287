# -*- coding: utf-8 -*-
# The document's TCP chat client, copied as written; only the address and port
# are changed (127.0.0.1 and the port given as the first argument).

# 声明字符编码
# coding:utf-8
import socket  # 创建客户端socket 套接字
import sys
client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # 连接服务器
client.connect(('127.0.0.1', int(sys.argv[1])))


def socket_client():
    while True:
        send_msg = input(">>")
        # 向服务器发送消息
        client.send(send_msg.encode("utf-8"))
        # 等待服务器回消息
        server_msg = client.recv(1024)
        print("<< %s" % server_msg.decode('utf-8'))
    # 关闭连接
    client.close()


if __name__ == "__main__":
    socket_client()
