package dev.breakwater.testing;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
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

    private static synchronized void install() throws IOException, InterruptedException {
        if (Files.isDirectory(DIR.resolve("node_modules/openai"))) {
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
