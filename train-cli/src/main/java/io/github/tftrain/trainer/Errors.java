package io.github.tftrain.trainer;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/** One-line descriptions of I/O and TensorFlow errors for users: the file and the cause. */
public final class Errors {
  private Errors() {}

  /**
   * An I/O error as "FILE: cause": Java's file-system exceptions carry only the path in their message, so the cause
   * is named from their type ({@code AccessDeniedException}: permission denied, ...) or their reason.
   */
  public static String describe(IOException e) {
    if (e instanceof FileSystemException fs && fs.getFile() != null) {
      String cause;
      if (fs instanceof AccessDeniedException) {
        cause = fs.getReason() != null ? fs.getReason() : "permission denied";
      } else if (fs instanceof NoSuchFileException) {
        cause = "no such file or folder";
      } else if (fs instanceof FileAlreadyExistsException) {
        cause = "already exists";
      } else if (fs instanceof NotDirectoryException) {
        cause = "not a folder";
      } else if (fs instanceof DirectoryNotEmptyException) {
        cause = "folder not empty";
      } else {
        cause = fs.getReason() != null ? fs.getReason() : fs.getClass().getSimpleName();
      }
      return fs.getFile() + (fs.getOtherFile() != null ? " -> " + fs.getOtherFile() : "") + ": " + cause;
    }
    String message = e.getMessage();
    if (message == null || message.isBlank()) {
      return "I/O error (" + e.getClass().getSimpleName() + ")";
    }
    return withoutOomHint(message);
  }

  /** TF appends a hint about listing allocated tensors to resource errors; on a full disk it only misleads. */
  public static String withoutOomHint(String message) {
    int hint = message.indexOf("Hint: If you want to see a list of allocated tensors");
    return (hint > 0 ? message.substring(0, hint) : message).strip();
  }
}
