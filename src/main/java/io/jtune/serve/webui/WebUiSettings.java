package io.jtune.serve.webui;

import io.jtune.JtuneException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.List;

/**
 * Where the web UI listens and what it may touch.
 *
 * @param host    address to bind; loopback (127.0.0.1) unless the user asks for more
 * @param port    TCP port (7860 like LLaMA-Factory's Gradio UI; 0 picks a free one)
 * @param token   required on every API call; when null (loopback only) the server makes a random one per start
 * @param workDir the working directory: relative paths start here, and it is always allowed
 * @param roots   further folders whose paths the forms may name
 */
public record WebUiSettings(String host, int port, String token, Path workDir, List<Path> roots) {
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 7860;

    public WebUiSettings {
        roots = List.copyOf(roots);
        if (port < 0 || port > 65535) throw new JtuneException("--port: " + port + " is not a TCP port (0-65535)");
        if (token != null && token.length() < 16) {
            throw new JtuneException("--token: use at least 16 characters (got " + token.length() + ")");
        }
        if (!isLoopback(host) && token == null) {
            throw new JtuneException("--host " + host + " accepts connections from other machines: give --token (at least 16 characters) too,"
                    + " and open the page with ?token=<it>");
        }
    }

    /** Whether only this machine can connect. */
    public boolean isLoopbackOnly() {
        return isLoopback(host);
    }

    static boolean isLoopback(String host) {
        if (host.equals("localhost")) return true;
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            throw new JtuneException("--host: unknown host '" + host + "'");
        }
    }
}
