# Sourced by ./jtune and ./run-tests: finds a JDK >= 25 and builds jtune when needed.
# Kept in plain POSIX-ish bash so that it runs before any Java exists.

JTUNE_MIN_JAVA=25

# Prints the feature version (e.g. 25) of the JDK at $1, or nothing when it is not a usable JDK.
jtune_jdk_feature_version() {
  local home="$1" v=""
  [ -x "$home/bin/java" ] && [ -x "$home/bin/javac" ] || return 0
  if [ -f "$home/release" ]; then
    v=$(sed -n 's/^JAVA_VERSION="\([0-9][0-9]*\).*/\1/p' "$home/release" | head -n 1)
  fi
  if [ -z "$v" ]; then
    v=$("$home/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9][0-9]*\).*/\1/p' | head -n 1)
  fi
  [ "$v" = "1" ] && v=8
  echo "$v"
}

# Sets JTUNE_JAVA_HOME to a JDK >= 25: JAVA_HOME when it qualifies, else the newest one found
# in the usual install folders. Exits with instructions when there is none.
jtune_find_jdk() {
  local best="" best_v=0 v home
  if [ -n "${JAVA_HOME:-}" ]; then
    v=$(jtune_jdk_feature_version "$JAVA_HOME")
    if [ -n "$v" ] && [ "$v" -ge "$JTUNE_MIN_JAVA" ]; then
      JTUNE_JAVA_HOME="$JAVA_HOME"
      return 0
    fi
  fi
  for home in /usr/lib/jvm/* /usr/java/* /opt/java/* /opt/jdk* /opt/*/jdk* \
              "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/* "$HOME"/.local/share/jdks/* \
              /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    [ -d "$home" ] || continue
    v=$(jtune_jdk_feature_version "$home")
    [ -n "$v" ] || continue
    if [ "$v" -ge "$JTUNE_MIN_JAVA" ] && [ "$v" -gt "$best_v" ]; then
      best="$home"; best_v="$v"
    fi
  done
  if [ -z "$best" ]; then
    {
      echo "jtune needs a JDK $JTUNE_MIN_JAVA or newer, and none was found."
      [ -n "${JAVA_HOME:-}" ] && echo "  JAVA_HOME=$JAVA_HOME is Java $(jtune_jdk_feature_version "$JAVA_HOME")."
      echo "  Looked in: JAVA_HOME, /usr/lib/jvm, /usr/java, /opt, ~/.sdkman, ~/.jdks, /Library/Java."
      echo "  Install one, for example:"
      echo "    Debian/Ubuntu: apt-get install temurin-25-jdk   (after adding the Adoptium apt repository)"
      echo "    any OS:        sdk install java 25-tem          (SDKMAN), or a JDK 25 from adoptium.net"
      echo "  then run again, or point JAVA_HOME at it."
    } >&2
    exit 1
  fi
  JTUNE_JAVA_HOME="$best"
}

# Builds target/jtune.jar when it is missing or older than the sources or the pom.
jtune_build_if_stale() {
  local root="$1" jar="$1/target/jtune.jar"
  if [ -f "$jar" ] && [ -d "$root/target/lib" ] && \
     [ -z "$(find "$root/src/main" "$root/pom.xml" -newer "$jar" -print -quit 2>/dev/null)" ]; then
    return 0
  fi
  if ! command -v mvn >/dev/null 2>&1; then
    echo "jtune builds with Apache Maven, which is not installed: apt-get install maven (or see maven.apache.org)." >&2
    exit 1
  fi
  echo "jtune: building target/jtune.jar with $JTUNE_JAVA_HOME ..." >&2
  (cd "$root" && JAVA_HOME="$JTUNE_JAVA_HOME" MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow" mvn -B -q -Dstyle.color=never -Dmaven.test.skip=true package) >&2 || {
    echo "jtune: the build failed (see above)." >&2
    exit 1
  }
}
