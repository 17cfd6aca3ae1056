package dev.breakwater.testing;

import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a script of {@code src/test/node} with Node.js, where the official Node SDKs are installed (by
 * {@code npm ci} from the committed lock file, on first use), and reads the one JSON line it prints.
 */
public final class NodeSdk {
    private static final Path DIR = Path.of("src/test/node");

    private NodeSdk() {}

    /** Runs {@code script} with {@code args}; fails when Node.js is missing, the install fails or the script does. */
    public static JsonObject run(String script, String... args) throws IOException, InterruptedException {
        install();
        List<String> command = new ArrayList<>(List.of("node", script));
        command.addAll(List.of(args));
        String out = exec(command, 60);
        String[] lines = out.strip().split("\n");
        return new JsonObject(lines[lines.length - 1]);
    }

    /**
     * Starts {@code script} as a server that keeps running, and waits for the first line it prints (its port, say)
     * or its end. The caller destroys the process.
     */
    public static Server start(String script, String... args) throws IOException, InterruptedException {
        install();
        List<String> command = new ArrayList<>(List.of("node", script));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command)
                .directory(DIR.toFile())
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        BufferedReader out =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String first = out.readLine();
        if (first == null) {
            process.destroyForcibly();
            throw new IllegalStateException(command + " in " + DIR + " ended before printing a line");
        }
        return new Server(process, new JsonObject(first));
    }

    /** A running Node.js server script and the first JSON line it printed. */
    public record Server(Process process, JsonObject started) implements AutoCloseable {
        @Override
        public void close() {
            process.destroyForcibly();
        }
    }

    private static synchronized void install() throws IOException, InterruptedException {
        if (Files.isDirectory(DIR.resolve("node_modules/openai"))
                && Files.isDirectory(DIR.resolve("node_modules/@modelcontextprotocol/sdk"))) {
            return;
        }
        exec(List.of("npm", "ci", "--no-audit", "--no-fund", "--silent"), 300);
    }

    private static String exec(List<String> command, long timeoutSeconds) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command)
                .directory(DIR.toFile())
                .redirectErrorStream(true)
                .start();
        byte[] out = process.getInputStream().readAllBytes();
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException(command + " did not finish within " + timeoutSeconds + " s");
        }
        String text = new String(out, StandardCharsets.UTF_8);
        if (process.exitValue() != 0) {
            throw new IllegalStateException(command + " in " + DIR + " exited with " + process.exitValue()
                    + " (Node.js 18+ and the npm registry are needed):\n" + text);
        }
        return text;
    }
}
