/// Every row of every registry table, read in one transaction: what `snn registry migrate` copies
/// from one store to another, and what shows that a copy lost nothing (two snapshots of registries
/// with the same rows are equal, whichever stores they came from).
public struct RegistrySnapshot: Equatable, Sendable {
    struct Table: Equatable, Sendable {
        /// Column names, sorted, so both stores list them alike.
        var columns: [String]
        var rows: [[SQLValue]]
    }

    var tables: [String: Table]

    /// How many rows each table holds, in the order they are copied.
    public var rowCounts: [(table: String, rows: Int)] {
        Schema.tables.map { ($0, tables[$0]?.rows.count ?? 0) }
    }
}

extension RunRegistry {
    /// Reads every row of the registry.
    public func snapshot() throws -> RegistrySnapshot {
        try store.read { db in
            var tables: [String: RegistrySnapshot.Table] = [:]
            for table in Schema.tables {
                let rows = try db.rows("SELECT * FROM \(table) ORDER BY id")
                let columns = (rows.first?.columns.keys).map { $0.sorted() } ?? []
                tables[table] = RegistrySnapshot.Table(
                    columns: columns, rows: rows.map { row in columns.map(row.value) })
            }
            return RegistrySnapshot(tables: tables)
        }
    }

    /// Writes the snapshot's rows in one transaction, so a failed copy leaves nothing behind.
    ///
    /// Into an empty registry every row keeps its id, so run ids quoted in notes and reports stay
    /// valid. With `append`, the registry may hold rows already: copied runs and studies get new
    /// ids and the rows referring to them (metrics, artifacts, trials, a trial's run) follow; a
    /// study whose name the registry already uses is refused rather than merged.
    public func restore(_ snapshot: RegistrySnapshot, append: Bool) throws {
        try store.write { db in
            if !append {
                let runs = try db.row("SELECT COUNT(*) AS n FROM runs")?.int("n") ?? 0
                let studies = try db.row("SELECT COUNT(*) AS n FROM studies")?.int("n") ?? 0
                guard runs == 0, studies == 0 else {
                    throw RegistryError.targetNotEmpty(location: location.description, runs: runs, studies: studies)
                }
            }
            var newIDs: [String: [Int64: Int64]] = [:]
            for name in Schema.tables {
                guard let table = snapshot.tables[name], !table.rows.isEmpty else { continue }
                var rows = table.rows
                if append {
                    for (column, target) in [("run_id", "runs"), ("study_id", "studies")] {
                        guard let index = table.columns.firstIndex(of: column), let map = newIDs[target] else {
                            continue
                        }
                        for row in rows.indices {
                            if case .integer(let old) = rows[row][index], let new = map[old] {
                                rows[row][index] = .integer(new)
                            }
                        }
                    }
                }
                if append, name == "runs" || name == "studies" {
                    newIDs[name] = try insertRenumbered(db, table: name, columns: table.columns, rows: rows)
                } else {
                    let keep =
                        append
                        ? table.columns.indices.filter { table.columns[$0] != "id" } : Array(table.columns.indices)
                    try insert(
                        db, table: name, columns: keep.map { table.columns[$0] },
                        rows: rows.map { row in keep.map { row[$0] } })
                }
                if !append, let sql = db.dialect.identityCatchUp(table: name) { try db.execute(sql) }
            }
        }
    }

    /// Inserts rows without their ids and returns each old id's new one.
    private func insertRenumbered(_ db: any SQLConnection, table: String, columns: [String], rows: [[SQLValue]]) throws
        -> [Int64: Int64]
    {
        guard let idIndex = columns.firstIndex(of: "id") else { return [:] }
        let kept = columns.indices.filter { $0 != idIndex }
        let nameIndex = columns.firstIndex(of: "name")
        var map: [Int64: Int64] = [:]
        for row in rows {
            if table == "studies", let nameIndex, case .text(let name) = row[nameIndex],
                try db.row("SELECT id FROM studies WHERE name = ?", [name]) != nil
            {
                throw RegistryError.studyExists(name: name, location: location.description)
            }
            let placeholders = Array(repeating: "?", count: kept.count).joined(separator: ", ")
            let inserted = try db.row(
                "INSERT INTO \(table) (\(kept.map { columns[$0] }.joined(separator: ", "))) VALUES (\(placeholders)) RETURNING id",
                kept.map { row[$0] })
            if case .integer(let old) = row[idIndex], let new = inserted?.int64("id") { map[old] = new }
        }
        return map
    }

    /// Inserts rows in batches of multi-row VALUES, which saves a round trip per row on PostgreSQL.
    private func insert(_ db: any SQLConnection, table: String, columns: [String], rows: [[SQLValue]]) throws {
        let tuple = "(" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
        let batch = 200
        for start in stride(from: 0, to: rows.count, by: batch) {
            let chunk = rows[start..<min(start + batch, rows.count)]
            try db.execute(
                "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES "
                    + Array(repeating: tuple, count: chunk.count).joined(separator: ", "),
                chunk.flatMap { $0 })
        }
    }
}
