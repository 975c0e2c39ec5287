# -*- coding: utf-8 -*-
# The document's TCP chat server, copied as written; only the address and port
# are changed (127.0.0.1 and the port given as the first argument).

# 声明字符编码
# coding:utf-8
import socket  # 创建服务端套接字
import sys
server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
# 这个配置是防止客户端直接关闭,服务器再次启动报错。(原因是TCP的四次挥手未完成。)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
# 绑定IP及端口
server.bind(('127.0.0.1', int(sys.argv[1])))
# 设置监听最多10个客户端
server.listen(10)


def socket_server():
    while True:
        # 等待客户端的连接,返回客户端套接字和客户端信息
        client_socket, client_info = server.accept()
        while True:
            try:
                # 等待接收客户端发来的消息
                client_msg = client_socket.recv(1024)
                print("%s:%s" % (client_info, client_msg.decode('utf-8')))
                # 给客户端发消息
                client_socket.send("服务器收到了".encode("utf-8"))
            except Exception as e:
                print("%s 未正常断开", client_info)
                print(e)
                break
        # 关闭套接字
        client_socket.close()
    server.close()


if __name__ == "__main__":
    socket_server()
