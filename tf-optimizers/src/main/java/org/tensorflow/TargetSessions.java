package org.tensorflow;

import static org.tensorflow.internal.c_api.global.tensorflow.TF_DeleteSessionOptions;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_NewSession;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_NewSessionOptions;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_SetConfig;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_SetTarget;

import org.bytedeco.javacpp.BytePointer;
import org.tensorflow.internal.c_api.TF_Session;
import org.tensorflow.internal.c_api.TF_SessionOptions;
import org.tensorflow.internal.c_api.TF_Status;
import org.tensorflow.proto.ConfigProto;

/**
 * Sessions on a TensorFlow server's target ({@code grpc://host:port}), which TF-Java 1.1.0's public {@link Session}
 * constructors cannot open: they always run the graph in-process. This class lives in package {@code org.tensorflow}
 * because the only way to wrap a natively created session is {@code Session}'s package-private
 * {@code (Graph, TF_Session)} constructor; the native session comes from the C API that TF-Java exposes
 * ({@code TF_NewSessionOptions}, {@code TF_SetTarget}, {@code TF_SetConfig}, {@code TF_NewSession}). The session
 * behaves as any other {@code Session} (runners, initialisation, close) but runs the graph through the server's
 * master, which is what collective ops between processes need.
 */
public final class TargetSessions {
  private TargetSessions() {}

  /**
   * Opens a session on {@code graph} that runs through the server at {@code target}.
   *
   * @param graph the graph to run
   * @param target the server's address, {@code grpc://host:port}
   * @param config the session's configuration (device filters, collective group leader, threads)
   * @throws org.tensorflow.exceptions.TensorFlowException if TensorFlow refuses the target or the configuration
   */
  public static Session open(Graph graph, String target, ConfigProto config) {
    TF_SessionOptions options = TF_NewSessionOptions();
    try (Graph.Reference ref = graph.ref();
        TF_Status status = TF_Status.newStatus()) {
      TF_SetTarget(options, target);
      byte[] bytes = config.toByteArray();
      try (BytePointer serialized = new BytePointer(bytes)) {
        TF_SetConfig(options, serialized, bytes.length, status);
      }
      status.throwExceptionIfNotOK();
      TF_Session session = TF_NewSession(ref.nativeHandle(), options, status);
      status.throwExceptionIfNotOK();
      return new Session(graph, session);
    } finally {
      TF_DeleteSessionOptions(options);
    }
  }
}
