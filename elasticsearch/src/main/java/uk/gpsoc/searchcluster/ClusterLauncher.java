package uk.gpsoc.searchcluster;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.codelibs.opensearch.runner.OpenSearchRunner;
import org.opensearch.node.Node;

/**
 * Starts an N-node search cluster in this JVM (the test and benchmark cluster of `make es-up`).
 *
 * <p>Node n answers HTTP on 127.0.0.1:(httpPort + n - 1) and talks transport on
 * 127.0.0.1:(transportPort + n - 1). A small control endpoint on 127.0.0.1:controlPort lets
 * tests stop and restart one node (node loss) without touching the others:
 *
 * <pre>
 *   GET  /nodes              one line per node: "node-2 http=9201 running"
 *   POST /nodes/{n}/stop     closes node n and waits until it is gone
 *   POST /nodes/{n}/start    starts node n again on its old data (requests run in parallel)
 * </pre>
 *
 * <p>Arguments (all optional): basePath httpPort transportPort controlPort nodes.
 */
public final class ClusterLauncher {
  private static final Pattern NODE_ACTION = Pattern.compile("^/nodes/(\\d+)/(stop|start)$");

  private final OpenSearchRunner runner = new OpenSearchRunner();
  private final int httpPort;
  private final int nodes;

  private ClusterLauncher(int httpPort, int nodes) {
    this.httpPort = httpPort;
    this.nodes = nodes;
  }

  public static void main(String[] args) throws Exception {
    String basePath = args.length > 0 ? args[0] : "target/cluster";
    int httpPort = args.length > 1 ? Integer.parseInt(args[1]) : 9200;
    int transportPort = args.length > 2 ? Integer.parseInt(args[2]) : 9300;
    int controlPort = args.length > 3 ? Integer.parseInt(args[3]) : 9299;
    int nodes = args.length > 4 ? Integer.parseInt(args[4]) : 3;

    ClusterLauncher launcher = new ClusterLauncher(httpPort, nodes);
    launcher.start(basePath, transportPort);
    Runtime.getRuntime().addShutdownHook(new Thread(launcher::closeQuietly));
    launcher.serveControl(controlPort);
    System.out.println("cluster started: " + nodes + " nodes, HTTP from 127.0.0.1:" + httpPort
        + ", control on 127.0.0.1:" + controlPort);
  }

  private void start(String basePath, int transportPort) {
    StringBuilder seeds = new StringBuilder();
    for (int n = 1; n <= nodes; n++) {
      seeds.append(n == 1 ? "" : ",").append("127.0.0.1:").append(transportPort + n - 1);
    }
    // Each node's http.port is set below; without this the runner also probes for a free port
    // of its own from baseHttpPort up to 9299, and refuses any HTTP port above it.
    runner.setMaxHttpPort(-1);
    runner.onBuild((number, settings) -> {
      settings.put("node.name", "node-" + number);
      settings.put("network.host", "127.0.0.1");
      settings.put("http.port", String.valueOf(httpPort + number - 1));
      settings.put("transport.port", String.valueOf(transportPort + number - 1));
      settings.put("discovery.seed_hosts", seeds.toString());
      // Node 1 bootstraps the cluster; the others join it as they start (one JVM starts
      // them one after the other). The voting configuration grows to all three.
      settings.putList("cluster.initial_cluster_manager_nodes", "node-1");
      // A node restarted alone (after a test stopped them all) must not block its starter
      // while it waits for the others to form a quorum.
      settings.put("discovery.initial_state_timeout", "2s");
      // A CI disk may be fuller than the default watermarks allow: never refuse a replica.
      settings.put("cluster.routing.allocation.disk.threshold_enabled", false);
      // Three nodes share two cores: keep each node's pools small.
      settings.put("node.processors", 1);
      settings.put("indices.breaker.total.use_real_memory", false);
      settings.put("action.auto_create_index", false);
    }).build(OpenSearchRunner.newConfigs()
        .basePath(basePath)
        .numOfNode(nodes)
        .baseHttpPort(httpPort - 1)
        .clusterName("gpsoc-search-test"));
  }

  private void serveControl(int port) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
    server.createContext("/nodes", this::handle);
    // Several nodes may be started at once (a whole cluster coming back needs a quorum).
    server.setExecutor(Executors.newCachedThreadPool());
    server.start();
  }

  private void handle(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getPath();
    String method = exchange.getRequestMethod();
    int status = 200;
    String body;
    try {
      Matcher action = NODE_ACTION.matcher(path);
      if ("GET".equals(method) && "/nodes".equals(path)) {
        body = describe();
      } else if ("POST".equals(method) && action.matches()) {
        int number = Integer.parseInt(action.group(1));
        if (number < 1 || number > nodes) {
          status = 404;
          body = "no node " + number + "\n";
        } else if ("stop".equals(action.group(2))) {
          body = stop(number);
        } else {
          body = runner.startNode(number - 1) ? "started node-" + number + "\n"
              : "node-" + number + " was running or did not start\n";
        }
      } else {
        status = 404;
        body = "GET /nodes, POST /nodes/{n}/stop, POST /nodes/{n}/start\n";
      }
    } catch (Exception e) {
      status = 500;
      body = e + "\n";
    }
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private synchronized String describe() {
    StringBuilder out = new StringBuilder();
    for (int n = 1; n <= nodes; n++) {
      Node node = runner.getNode(n - 1);
      boolean running = node != null && !node.isClosed();
      out.append("node-").append(n).append(" http=").append(httpPort + n - 1)
          .append(running ? " running" : " stopped").append('\n');
    }
    return out.toString();
  }

  private synchronized String stop(int number) throws IOException, InterruptedException {
    Node node = runner.getNode(number - 1);
    if (node == null || node.isClosed()) {
      return "node-" + number + " was stopped\n";
    }
    node.close();
    node.awaitClose(30, TimeUnit.SECONDS);
    return "stopped node-" + number + "\n";
  }

  private void closeQuietly() {
    try {
      runner.close();
    } catch (IOException e) {
      System.err.println("closing the cluster: " + e);
    }
  }
}
