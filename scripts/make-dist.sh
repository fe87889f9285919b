#!/usr/bin/env bash
# Builds the self-contained distribution the Dockerfile copies into its runtime image:
#   DEST/runtime   a Java runtime made by jlink with just the modules jtune uses (no JDK needed to run it)
#   DEST/app       jtune.jar and its libraries (lib/)
# Usage: scripts/make-dist.sh [DEST]          (default: target/dist)
# Needs a JDK >= 25 (JAVA_HOME or the usual folders) and the compiled classes: after `mvn package` the jar
# is taken as it is; otherwise target/classes are packaged first (mvn jar:jar, runtime libraries copied),
# without compiling. JTUNE_MVN_ARGS adds Maven options (e.g. -o offline). The runtime is rebuilt only
# when the JDK or the module list changed, since jlink takes a while.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/scripts/jdk.sh"
jtune_find_jdk
DEST="${1:-$ROOT/target/dist}"
# The JDK modules jtune needs (jdeps --print-module-deps over the jar and its libraries, plus jdk.crypto.ec
# for HTTPS downloads); jdk.incubator.vector is the engine's SIMD API.
MODULES="java.base,java.desktop,java.instrument,java.naming,java.net.http,java.security.jgss,java.sql,jdk.crypto.ec,jdk.incubator.vector,jdk.management,jdk.unsupported"

JAR="$ROOT/target/jtune.jar"
if [ ! -f "$JAR" ] || [ ! -d "$ROOT/target/lib" ] || \
   [ -n "$(find "$ROOT/target/classes" -newer "$JAR" -type f -print -quit 2>/dev/null)" ]; then
  [ -d "$ROOT/target/classes/io/jtune" ] || { echo "make-dist: no compiled classes in target/classes: run mvn package first" >&2; exit 1; }
  echo "make-dist: packaging target/classes into target/jtune.jar" >&2
  (cd "$ROOT" && JAVA_HOME="$JTUNE_JAVA_HOME" MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow" \
     mvn -B -q -ntp ${JTUNE_MVN_ARGS:-} jar:jar dependency:copy-dependencies@copy-runtime-deps) >&2
fi

mkdir -p "$DEST"
STAMP="$JTUNE_JAVA_HOME $(sed -n 's/^JAVA_RUNTIME_VERSION=//p' "$JTUNE_JAVA_HOME/release") $MODULES"
if [ ! -x "$DEST/runtime/bin/java" ] || [ "$(cat "$DEST/runtime/.jtune-stamp" 2>/dev/null)" != "$STAMP" ]; then
  echo "make-dist: linking the runtime ($MODULES)" >&2
  rm -rf "$DEST/runtime" "$DEST/runtime.tmp"
  "$JTUNE_JAVA_HOME/bin/jlink" --add-modules "$MODULES" --strip-debug --no-header-files --no-man-pages \
    --compress=zip-6 --output "$DEST/runtime.tmp" 2> >(grep -v 'Using incubator modules' >&2)
  echo "$STAMP" > "$DEST/runtime.tmp/.jtune-stamp"
  mv "$DEST/runtime.tmp" "$DEST/runtime"
fi

rm -rf "$DEST/app.tmp"
mkdir -p "$DEST/app.tmp/lib"
cp "$JAR" "$DEST/app.tmp/jtune.jar"
cp "$ROOT"/target/lib/*.jar "$DEST/app.tmp/lib/"
rm -rf "$DEST/app"
mv "$DEST/app.tmp" "$DEST/app"
echo "make-dist: $DEST (runtime/, app/)" >&2
