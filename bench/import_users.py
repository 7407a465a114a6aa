"""Import a generated CSV of users through the real path and print users per second.

    python bench/import_users.py --url http://127.0.0.1:9229 [--users 100000]

Creates a pool (email auto-verified), a job, uploads the CSV to its pre-signed URL, starts the job, polls
DescribeUserImportJob until it ends, and prints the users imported per second (StartDate → CompletionDate
as the server reports them, and the wall time seen from here).
"""

from __future__ import annotations

import argparse
import time
import uuid

import boto3
import httpx


def generate(header: list[str], users: int) -> bytes:
    index = {column: i for i, column in enumerate(header)}
    lines = [",".join(header)]
    for n in range(users):
        row = [""] * len(header)
        row[index["cognito:username"]] = f"user{n:07d}"
        row[index["email"]] = f"user{n:07d}@example.com"
        row[index["email_verified"]] = "true"
        row[index["cognito:mfa_enabled"]] = "false"
        row[index["given_name"]] = f"Given{n}"
        row[index["family_name"]] = "Family"
        lines.append(",".join(row))
    return ("\n".join(lines) + "\n").encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:9229")
    parser.add_argument("--users", type=int, default=100_000)
    args = parser.parse_args()
    cognito = boto3.client(
        "cognito-idp",
        endpoint_url=args.url,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )
    pool = cognito.create_user_pool(
        PoolName=f"bench-import-{uuid.uuid4().hex[:6]}", AutoVerifiedAttributes=["email"]
    )["UserPool"]
    header = cognito.get_csv_header(UserPoolId=pool["Id"])["CSVHeader"]
    body = generate(header, args.users)
    job = cognito.create_user_import_job(
        JobName="bench", UserPoolId=pool["Id"], CloudWatchLogsRoleArn="arn:aws:iam::000000000000:role/bench"
    )["UserImportJob"]
    put = httpx.put(
        job["PreSignedUrl"], content=body, headers={"x-amz-server-side-encryption": "aws:kms"}, timeout=300
    )
    put.raise_for_status()
    began = time.monotonic()
    cognito.start_user_import_job(UserPoolId=pool["Id"], JobId=job["JobId"])
    while True:
        seen = cognito.describe_user_import_job(UserPoolId=pool["Id"], JobId=job["JobId"])["UserImportJob"]
        if seen["Status"] in ("Succeeded", "Failed", "Stopped"):
            break
        time.sleep(0.1)
    wall = time.monotonic() - began
    server = (seen["CompletionDate"] - seen["StartDate"]).total_seconds()
    print(
        f"status {seen['Status']}: imported {seen['ImportedUsers']}, skipped {seen['SkippedUsers']}, "
        f"failed {seen['FailedUsers']} of {args.users} ({len(body) / 1e6:.1f} MB)"
    )
    print(
        f"server time {server:.2f} s: {seen['ImportedUsers'] / server:,.0f} users/s; "
        f"wall time {wall:.2f} s: {seen['ImportedUsers'] / wall:,.0f} users/s"
    )
    cognito.delete_user_pool(UserPoolId=pool["Id"])


if __name__ == "__main__":
    main()
