#!/usr/bin/env bash
# vendor-graphiql.sh reproduces internal/graphiql/assets/: the GraphiQL page's
# browser files, taken from pinned npm packages, so that the page works with no
# internet access (the files are embedded in the binary with go:embed).
#
# It needs only node's `npm` (which uses the registry npm is configured with).
# Run it from anywhere; it rewrites internal/graphiql/assets/ completely and
# writes assets/VERSIONS.txt with each package@version, file and sha256.
# Nothing is fetched at build or run time: commit the result.
#
# To upgrade, change a version below, run the script, check the page in a
# browser and run `go test ./internal/graphiql/`.
set -euo pipefail

# package@version  path-in-package  name-under-assets
FILES=(
	"graphiql@3.9.0 graphiql.min.js graphiql.min.js"
	"graphiql@3.9.0 graphiql.min.css graphiql.min.css"
	"graphiql@3.9.0 LICENSE LICENSE-graphiql.txt"
	"react@18.3.1 umd/react.production.min.js react.production.min.js"
	"react@18.3.1 LICENSE LICENSE-react.txt"
	"react-dom@18.3.1 umd/react-dom.production.min.js react-dom.production.min.js"
	"react-dom@18.3.1 LICENSE LICENSE-react-dom.txt"
	"graphql-ws@5.16.2 umd/graphql-ws.min.js graphql-ws.min.js"
	"graphql-ws@5.16.2 LICENSE.md LICENSE-graphql-ws.txt"
)

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$repo/internal/graphiql/assets"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

command -v npm >/dev/null || { echo "vendor-graphiql: npm is required" >&2; exit 1; }

# The distinct packages, in order of first appearance.
pkgs=()
for line in "${FILES[@]}"; do
	read -r pkg _ _ <<<"$line"
	case " ${pkgs[*]-} " in *" $pkg "*) ;; *) pkgs+=("$pkg") ;; esac
done

declare -A tgz integrity
for pkg in "${pkgs[@]}"; do
	name="${pkg%@*}"
	dir="$work/$name"
	mkdir -p "$dir"
	# --json prints the tarball's file name and integrity; keep stdout clean.
	json="$(cd "$dir" && npm pack --silent --json "$pkg")"
	file="$(printf '%s' "$json" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{process.stdout.write(JSON.parse(s)[0].filename)})')"
	integrity[$pkg]="$(printf '%s' "$json" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{process.stdout.write(JSON.parse(s)[0].integrity)})')"
	tgz[$pkg]="$dir/$file"
	tar -xzf "$dir/$file" -C "$dir"
done

rm -rf "$dest"
mkdir -p "$dest"
{
	echo "# GraphiQL page assets, vendored by scripts/vendor-graphiql.sh. Do not edit by hand."
	echo "# package@version  tarball-integrity"
	for pkg in "${pkgs[@]}"; do
		echo "$pkg ${integrity[$pkg]}"
	done
	echo
	echo "# file  package@version  path-in-package  sha256  bytes"
} >"$dest/VERSIONS.txt"

for line in "${FILES[@]}"; do
	read -r pkg src out <<<"$line"
	name="${pkg%@*}"
	from="$work/$name/package/$src"
	[ -f "$from" ] || { echo "vendor-graphiql: $pkg has no $src" >&2; exit 1; }
	cp "$from" "$dest/$out"
	sum="$(sha256sum "$dest/$out" | cut -d' ' -f1)"
	size="$(wc -c <"$dest/$out" | tr -d ' ')"
	echo "$out $pkg $src $sum $size" >>"$dest/VERSIONS.txt"
done

cat "$dest/VERSIONS.txt"
